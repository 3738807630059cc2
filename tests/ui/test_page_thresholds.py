"""The Thresholds page, opened from the entry point as each role (AppTest)."""

from __future__ import annotations

from pathlib import Path

from dashboard.store import Store
from dashboard.store.assumptions import ASSUMPTIONS
from dashboard.store.policy import POLICY, policy_in_force
from tests.support.apptest import errors, open_page


def _texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def _metric(at: object, label: str) -> str:
    for m in at.metric:  # type: ignore[attr-defined]
        if m.label == label:
            return str(m.value)
    raise AssertionError(f"no metric {label!r}")


def test_data_scientist_sees_every_figure_and_can_apply(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "thresholds")
    assert errors(at) == []
    assert at.title[0].value == "Thresholds"
    labels = {m.label for m in at.metric}
    assert {"Approval rate", "Expected bad rate (approved)", "Expected defaults", "Expected credit losses",
            "Expected profit", "Review workload", "Officer hours", "Lowest adverse impact ratio"} <= labels
    assert _metric(at, "Approval rate").endswith("%")
    assert "matured outcome" in _texts(at.caption)
    assert "Profit-optimal cutoff" in _texts(at.caption)
    assert any(b.label == "Apply policy" for b in at.button)
    assert len(at.dataframe) >= 4  # figures, fairness, backtest, history


def test_moving_the_slider_changes_the_figures(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "thresholds")
    before = _metric(at, "Approval rate")
    at.slider(key="thr_cutoff_gbm_champion").set_value(0.5).run()
    assert errors(at) == []
    assert _metric(at, "Approval rate") != before


def test_executive_sees_the_lever_but_cannot_apply(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "executive", "thresholds")
    assert errors(at) == []
    assert at.slider(key="thr_cutoff_gbm_champion").value is not None
    assert not any(b.label == "Apply policy" for b in at.button)
    assert "only a data scientist or an administrator may apply" in _texts(at.info)


def test_bad_cutoff_and_band_from_the_address_give_messages(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "thresholds", query={"cutoff": "1.5"})
    assert errors(at) == []
    assert "outside 0..1" in _texts(at.warning)
    at = open_page(small_store_dir, "data_scientist", "thresholds", query={"cutoff": "0.2", "review_from": "0.3"})
    assert errors(at) == []
    assert "above the cutoff" in _texts(at.warning)
    at = open_page(small_store_dir, "data_scientist", "thresholds", query={"cutoff": "abc"})
    assert errors(at) == [] and "not a number" in _texts(at.warning)


def test_apply_stores_a_version_and_a_rationale_is_required(store_copy: Store) -> None:
    at = open_page(store_copy.root, "data_scientist", "thresholds", query={"cutoff": "0.2"})
    at.button(key="FormSubmitter:thr_apply_gbm_champion-Apply policy").click().run()
    assert errors(at) == []
    assert "rationale is required" in _texts(at.error)
    assert store_copy.read_events(POLICY) == []
    at.text_area(key="thr_rationale_gbm_champion").input("loosen after the Q3 review")
    at.button(key="FormSubmitter:thr_apply_gbm_champion-Apply policy").click().run()
    assert errors(at) == []
    events = store_copy.read_events(POLICY)
    assert len(events) == 1 and events[0]["cutoff"] == 0.2 and events[0]["role"] == "data_scientist"
    assert policy_in_force(store_copy, "gbm_champion").cutoff == 0.2
    assert "Policy stored" in _texts(at.success)


def test_negative_cost_is_refused_with_a_message(store_copy: Store) -> None:
    at = open_page(store_copy.root, "admin", "thresholds")
    at.number_input(key="thr_assume_cost_per_review").set_value(-5.0)
    at.button(key="FormSubmitter:thr_assumptions-Save assumptions").click().run()
    assert errors(at) == []
    assert "must not be negative" in _texts(at.error)
    assert store_copy.read_events(ASSUMPTIONS) == []


def test_curves_are_drawn_where_the_scores_are() -> None:
    """A model whose scores all sit in 0.30-0.36 is drawn there, not squeezed into 0..0.5."""
    import numpy as np
    import pandas as pd

    from dashboard.analytics.thresholds import GroupBins, ThresholdBins, make_score_bins
    from dashboard.ui.thresholds import compute_curve_range

    rng = np.random.default_rng(1)
    scores = rng.uniform(0.30, 0.36, 5_000)
    frame = pd.DataFrame({"decision": "approve", "bin": (scores * 1000).astype(int), "n": 1})
    frame = frame.groupby(["decision", "bin"], as_index=False).sum()
    bins = ThresholdBins(make_score_bins("m", frame), GroupBins())
    lo, hi = compute_curve_range(bins, {"in force": 0.33, "chosen": None})
    assert 0.28 <= lo <= 0.30 and 0.36 <= hi <= 0.38
    lo, hi = compute_curve_range(bins, {"in force": 0.6})      # a mark outside the scores stays visible
    assert hi >= 0.6
