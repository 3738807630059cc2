"""The impact scorecard: periods, targets, and the seven values against hand calculations.

The tiny store (tests/support/tiny_impact.py) is also used by the CLI and page tests, so the
page, the CLI and the hand calculation are checked against the same numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.impact import ImpactError
from dashboard.analytics.impact_figures import weighted_quantile
from dashboard.analytics.periods import (
    custom_period,
    month_period,
    parse_period,
    previous_period,
    quarter_period,
)
from dashboard.analytics.scorecard import (
    HEADLINE,
    Figure,
    Target,
    Targets,
    compute_status,
    format_change,
    format_compact,
    format_value,
    parse_targets_toml,
    scaled_target,
    scorecard_frame,
    scorecard_json,
)
from dashboard.models.card import parse_card
from dashboard.reports.impact_report import render_impact_html
from dashboard.services.impact import load_impact
from dashboard.store import Store
from dashboard.store.impact import load_impact_targets
from tests.support.tiny_impact import (
    TINY_BUSINESS,
    TINY_MODEL,
    TINY_TARGETS,
    A,
    build_tiny_store,
    expected_tiny,
    tiny_card,
)


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_tiny_store(tmp_path_factory.mktemp("tiny-impact") / "store")


def test_business_defaults_match_the_file() -> None:
    from dashboard.store.assumptions import file_assumptions
    assert file_assumptions() == BusinessAssumptions()
    assert "min_group_size = 1" in TINY_BUSINESS


def test_seven_values_equal_the_hand_calculation(tiny_store: Store) -> None:
    targets = parse_targets_toml(TINY_TARGETS)
    result = load_impact(tiny_store, parse_period("2026-04"), assumptions=A, targets=targets)
    assert result.message == ""
    card = result.scorecard
    assert card is not None and card.model_id == TINY_MODEL
    for key, value in expected_tiny().items():
        assert card.figures[key].value == pytest.approx(value, rel=1e-9, abs=1e-9), key
    # statuses from the targets: AIR 0.667 is between 0.6 and 0.8, Cash -185 between -1000 and 0
    assert card.figures["adverse_impact_ratio"].status == "at risk"
    assert card.figures["losses_avoided"].status == "at risk"
    assert card.figures["hours_saved"].status == "no target"
    # previous period (March): 3 decisions, 2 approved, 1 override
    assert card.previous_period.label == "2026-03"
    assert card.figures["approved_count"].previous == 2
    assert card.figures["override_rate"].previous == pytest.approx(1 / 3)
    assert card.figures["approved_count"].change == 3
    # realized and expected parts are named
    assert "realized" in card.figures["losses_avoided"].basis and "expected" in card.figures["losses_avoided"].basis


def test_more_lent_than_the_capital_available_is_called_out(tiny_store: Store) -> None:
    import dataclasses

    targets = parse_targets_toml(TINY_TARGETS)
    fine = load_impact(tiny_store, parse_period("2026-04"), assumptions=A, targets=targets).scorecard
    assert fine is not None and not any("capital" in n for n in fine.notes)
    approved = fine.figures["capital_utilization"].value * A.capital_available  # per year
    scarce = dataclasses.replace(A, capital_available=approved / 3)
    card = load_impact(tiny_store, parse_period("2026-04"), assumptions=scarce, targets=targets).scorecard
    assert card is not None and card.figures["capital_utilization"].value == pytest.approx(3.0)
    assert any("3.0 times the capital available" in n and "[capital]" in n for n in card.notes)


def test_every_figure_says_how_it_was_computed(tiny_store: Store) -> None:
    result = load_impact(tiny_store, parse_period("2026-04"), assumptions=A, targets=parse_targets_toml(TINY_TARGETS))
    assert result.scorecard is not None
    for f in result.scorecard.figures.values():
        assert f.formula and f.inputs and f.spec.definition
    frame = scorecard_frame(result.scorecard)
    assert len(frame) == 16 and set(frame["point"]) == {"Responsibility", "Cash", "Labor", "Time", "Profit/Cost",
                                                      "Growth", "Utilization of Assets"}
    assert frame["formula"].str.len().min() > 10
    html = render_impact_html(result.scorecard, result.trend, A)
    assert "<svg" in html and "How:" in html and "Utilization of Assets" in html
    assert "@page" in html and "<script" not in html
    data = scorecard_json(result.scorecard)
    assert data["points"]["cash"]["figures"][0]["value"] == pytest.approx(expected_tiny()["losses_avoided"])


def test_trend_has_one_row_per_month_with_data(tiny_store: Store) -> None:
    result = load_impact(tiny_store, parse_period("2026-04"), assumptions=A, targets=Targets())
    assert list(result.trend["label"]) == ["2026-03", "2026-04"]
    april = result.trend.set_index("label").loc["2026-04"]
    assert april["losses_avoided"] == pytest.approx(expected_tiny()["losses_avoided"])


def test_quarter_and_custom_periods(tiny_store: Store) -> None:
    q = load_impact(tiny_store, parse_period("2026-Q2"), assumptions=A, targets=Targets())
    assert q.scorecard is not None
    assert q.scorecard.figures["approved_count"].value == 5
    assert q.scorecard.previous_period.label == "2026-Q1"
    c = load_impact(tiny_store, parse_period("2026-03-01:2026-04-10"), assumptions=A, targets=Targets())
    assert c.scorecard is not None
    assert c.scorecard.figures["approved_count"].value == 2 + 4


def test_period_without_data_gives_a_message(tiny_store: Store) -> None:
    result = load_impact(tiny_store, parse_period("2025-01"), assumptions=A, targets=Targets())
    assert result.scorecard is None
    assert "No decisions" in result.message and "2026-03-05" in result.message


def test_champion_scoring_in_shadow_only_gives_a_message(tmp_path: Path) -> None:
    store = build_tiny_store(tmp_path / "store")
    card = {**tiny_card(), "id": "shadow", "role": "challenger"}
    store.register_model(parse_card(card, "shadow"))
    rows = pd.DataFrame({"prediction_id": ["S1", "S2"], "model_id": "shadow", "application_id": ["A1", "A2"],
                         "timestamp": pd.to_datetime(["2026-04-10 09:00", "2026-04-10 10:00"]),
                         "score": [0.1, 0.2], "decision": [None, None], "latency_ms": [5.0, 6.0],
                         "sex": ["F", "M"], "x1": [1.0, 2.0]})
    store.write_predictions(rows)
    store.append_event("promotion", {"model_id": "shadow"}, actor="test")
    result = load_impact(store, parse_period("2026-04"), assumptions=A, targets=Targets())
    assert result.scorecard is None and result.model_id == "shadow"
    assert "No decisions by the champion shadow" in result.message and "shadow" in result.message
    assert result.trend.empty


def test_empty_store_gives_a_message(empty_store: Store) -> None:
    result = load_impact(empty_store, parse_period("2026-04"), assumptions=A, targets=Targets())
    assert result.scorecard is None and "No model is registered" in result.message


def test_targets_not_set_show_no_target(tiny_store: Store) -> None:
    result = load_impact(tiny_store, parse_period("2026-04"), assumptions=BusinessAssumptions(),
                         targets=Targets())
    assert result.scorecard is not None
    statuses = {k: f.status for k, f in result.scorecard.figures.items()}
    # the default smallest group (30) leaves the adverse impact ratio unreadable here, and it says why
    assert statuses.pop("adverse_impact_ratio") == "n/a"
    assert "fewer than two groups with at least 30" in result.scorecard.figures["adverse_impact_ratio"].unreadable
    assert set(statuses.values()) == {"no target"}
    assert any("No targets are set" in w for w in result.warnings)


def test_bad_business_config_gives_a_message(tiny_store: Store, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "business.toml"
    bad.write_text("[loan]\ninterest_margin = 'lots'\n", "utf-8")
    monkeypatch.setenv("DASHBOARD_BUSINESS_CONFIG", str(bad))
    result = load_impact(tiny_store, parse_period("2026-04"), targets=Targets())
    assert result.scorecard is None
    assert "interest_margin must be a number" in result.message


def test_bad_targets_are_reported_not_raised(tmp_path: Path) -> None:
    text = """
[settings]
min_group_size = -3
[targets.adverse_impact_ratio]
target = "high"
at_risk = 0.7
[targets.override_rate]
target = 0.10
at_risk = 0.05
[targets.capital_utilization]
target = 80
at_risk = 60
[targets.no_such_figure]
target = 1
at_risk = 1
[targets.hours_saved]
target = 100
at_risk = 50
"""
    targets = parse_targets_toml(text, "t.toml")
    assert set(targets.by_figure) == {"hours_saved"}
    joined = " | ".join(targets.problems)
    assert "[fairness] min_group_size in business.toml" in joined and "target must be a number" in joined
    assert "lower is better" in joined and "between 0 and 1" in joined and "no_such_figure" in joined
    broken = parse_targets_toml("[targets\n", "t.toml")
    assert not broken.by_figure and "not valid TOML" in broken.problems[0]
    missing = load_impact_targets(tmp_path / "absent.toml")
    assert not missing.by_figure and "no targets file" in missing.problems[0]


def test_shipped_targets_file_is_valid() -> None:
    targets = load_impact_targets()
    assert targets.problems == ()
    assert set(HEADLINE.values()) <= set(targets.by_figure)


def test_periods() -> None:
    assert parse_period("2026-04") == month_period(2026, 4)
    assert parse_period("2026-q2") == quarter_period(2026, 2)
    assert parse_period("2026-02-01:2026-02-28") == custom_period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert previous_period(month_period(2026, 1)).label == "2025-12"
    assert previous_period(quarter_period(2026, 1)).label == "2025-Q4"
    prev = previous_period(custom_period(dt.date(2026, 2, 11), dt.date(2026, 2, 20)))
    assert (prev.start, prev.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 10))
    for bad in ("2026-13", "April", "2026-05-10..2026-05-01", "2026-02-30..2026-03-01"):
        with pytest.raises(ImpactError):
            parse_period(bad)


def test_status_and_scaling() -> None:
    assert compute_status(0.9, Target(0.8, 0.7), True) == "on track"
    assert compute_status(0.75, Target(0.8, 0.7), True) == "at risk"
    assert compute_status(0.6, Target(0.8, 0.7), True) == "off track"
    assert compute_status(0.04, Target(0.05, 0.1), False) == "on track"
    assert compute_status(0.2, Target(0.05, 0.1), False) == "off track"
    assert compute_status(None, Target(0.05, 0.1), False) == "no data"
    assert compute_status(1.0, None, True) == "no target"
    # a value that cannot be read is never "on track", whatever the target says
    assert compute_status(4.48, Target(0.8, 0.5), True, unreadable="more lent than the capital") == "n/a"
    from dashboard.analytics.scorecard import SPECS
    quarter = scaled_target(Target(100.0, 50.0), SPECS["hours_saved"], 91)
    assert quarter.target == pytest.approx(100 * 91 / 30.4375)
    assert scaled_target(Target(0.8, 0.7), SPECS["adverse_impact_ratio"], 91) == Target(0.8, 0.7)


def test_weighted_quantile_matches_numpy_on_repeated_values() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 50, 30).astype(float)
    weights = rng.integers(1, 5, 30)
    expanded = np.repeat(values, weights)
    for q in (0.1, 0.5, 0.95):
        assert weighted_quantile(values, weights, q) == np.quantile(expanded, q, method="inverted_cdf")
    assert weighted_quantile(np.array([1.0]), np.array([0.0]), 0.5) is None


def test_formatting() -> None:
    assert format_value(-1234.4, "money", "CHF") == "-CHF 1,234"
    assert format_value(0.00012, "share") == "0.012%"
    assert format_value(7200, "seconds") == "2.0 h"
    assert format_value(None, "money", "EUR") == "n/a"
    assert format_value(float(np.float32("inf")), "money", "EUR") == "n/a"
    # whole units: no "-0" in values or changes
    assert format_value(-0.3, "money", "PLN") == format_value(-0.0, "money", "PLN") == "PLN 0"
    assert format_change(Figure("losses_avoided", 0.0, "", {}, previous=0.3), "USD") == "+USD 0"
    assert format_change(Figure("losses_avoided", 0.0, "", {}, previous=1.0), "USD") == "-USD 1"
    assert format_compact(999_950, "money", "GBP") == "GBP 1.0M"
    assert format_compact(999_949, "money", "GBP") == "GBP 999.9k"


@pytest.mark.slow
def test_concept_drift_worsens_cash_and_profit(demo_store: Store) -> None:
    """The sample's concept drift (2026-04) shows as worse Cash and Profit/Cost than before it."""
    result = load_impact(demo_store, parse_period("2026-04"), assumptions=A, targets=Targets())
    trend = result.trend.set_index("label")
    before = trend.loc[["2025-11", "2025-12", "2026-01"]]
    after = trend.loc[["2026-04", "2026-05", "2026-06"]]
    assert after["losses_avoided"].mean() < before["losses_avoided"].mean()
    assert after["net_contribution"].mean() < before["net_contribution"].mean()
    # against the months of data drift only (2026-02 and 03), the concept drift still makes both worse
    drift_only = trend.loc[["2026-02", "2026-03"]]
    concept = trend.loc[["2026-04", "2026-05"]]
    assert concept["losses_avoided"].mean() < drift_only["losses_avoided"].mean()
    assert concept["net_contribution"].mean() < drift_only["net_contribution"].mean()
    q_before = load_impact(demo_store, parse_period("2026-Q1"), assumptions=A, targets=Targets()).scorecard
    q_after = load_impact(demo_store, parse_period("2026-Q2"), assumptions=A, targets=Targets()).scorecard
    assert q_before is not None and q_after is not None
    cash_before, cash_after = q_before.figures["losses_avoided"].value, q_after.figures["losses_avoided"].value
    net_before, net_after = q_before.figures["net_contribution"].value, q_after.figures["net_contribution"].value
    assert cash_before is not None and cash_after is not None and cash_after < cash_before
    assert net_before is not None and net_after is not None and net_after < net_before
    change = q_after.figures["losses_avoided"].change
    assert change is not None and change < 0
    assert q_after.figures["losses_avoided"].previous == pytest.approx(cash_before)
