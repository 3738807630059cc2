"""One money rule: the same figure for the same window is the same on every page and report.

A portfolio whose outcomes lack `loss_amount` for most defaults (the trap a real portfolio
showed: losses read as zero on two pages and as amount x LGD on a third), in another currency.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.backtest import compute_logged_figures
from dashboard.analytics.comparison import compute_comparison
from dashboard.analytics.periods import custom_period
from dashboard.analytics.scorecard import Targets, format_value
from dashboard.cli import main
from dashboard.models.card import parse_card
from dashboard.services.impact import load_impact
from dashboard.store import Store
from dashboard.store.challengers import load_shadow_rows
from dashboard.store.thresholds import load_score_bins

A = BusinessAssumptions(currency="CHF", average_amount=8_000.0, loss_given_default=0.45)
START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
N = 2_400


def _card(model_id: str, role: str) -> dict[str, object]:
    return {"id": model_id, "name": model_id, "version": "1", "role": role, "algorithm": "a", "owner": "o",
            "training": {"data": "none"}, "target": "bad", "cutoff": 0.2,
            "features": [{"name": "x", "type": "numeric", "reason_template": "x of {value}"}]}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    rng = np.random.default_rng(4)
    store = Store(tmp_path_factory.mktemp("everywhere") / "store")
    store.register_model(parse_card(_card("champ", "champion")))
    store.register_model(parse_card(_card("chal", "challenger")))
    apps = pd.DataFrame({"application_id": [f"a{i}" for i in range(N)], "x": rng.normal(size=N),
                         "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90 * 24, N),
                                                                                   unit="h")})
    champ = apps.assign(model_id="champ", prediction_id=apps["application_id"] + "c", score=rng.beta(2, 8, N))
    champ["decision"] = np.where(champ["score"] < 0.2, "approve", "decline")
    chal = apps.assign(model_id="chal", prediction_id=apps["application_id"] + "s",
                       score=np.clip(champ["score"] + rng.normal(0, 0.03, N), 0, 1), decision=None)
    store.write_predictions(pd.concat([champ, chal], ignore_index=True).assign(latency_ms=np.nan))
    booked = champ[champ["decision"] == "approve"].sample(frac=0.8, random_state=1)
    outcomes = pd.DataFrame({"application_id": booked["application_id"].to_numpy(),
                             "outcome_timestamp": pd.Timestamp("2026-10-01"),
                             "label": (rng.random(len(booked)) < booked["score"].to_numpy() * 1.3).astype(int),
                             "loan_amount": np.where(rng.random(len(booked)) < 0.25, np.nan,
                                                     rng.lognormal(9, 0.7, len(booked)).round(2))})
    outcomes["loss_amount"] = np.where((outcomes["label"] == 1) & (rng.random(len(booked)) < 0.2),
                                       outcomes["loan_amount"].fillna(4_000) * 0.3, np.nan)
    store.write_outcomes(outcomes)
    return store


def _amount(text: str) -> float:
    """'CHF 1,234' or '-CHF 1,234' back to a number (pages show whole currency units)."""
    match = re.fullmatch(r"(-?)CHF ([\d,]+)", text)
    assert match, text
    return float(match.group(2).replace(",", "")) * (-1 if match.group(1) else 1)


@pytest.mark.slow
def test_realized_losses_agree_on_impact_thresholds_and_the_report(store: Store, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    result = load_impact(store, custom_period(START, END), assumptions=A, targets=Targets())
    assert result.scorecard is not None
    impact = _amount(result.scorecard.figures["net_contribution"].inputs["credit losses, realized"])
    logged = compute_logged_figures(load_score_bins(store, "champ", START, END), A)
    assert logged is not None
    assert impact == round(logged["realized_losses"])
    assert format_value(logged["realized_losses"], "money", "CHF") == \
        result.scorecard.figures["net_contribution"].inputs["credit losses, realized"]
    # the CLI report, with the same assumptions in a business file
    config = tmp_path / "business.toml"
    config.write_text('[money]\ncurrency = "CHF"\n[loan]\naverage_amount = 8000.0\nloss_given_default = 0.45\n',
                      "utf-8")
    monkeypatch.setenv("DASHBOARD_BUSINESS_CONFIG", str(config))
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["--store", str(store.root), "report", "impact", "--period", f"{START}:{END}",
                     "--format", "json"])
    assert code == 0
    report = json.loads(out.getvalue())
    assert report["currency"] == "CHF"
    profit = next(f for f in report["points"]["profit"]["figures"] if f["figure"] == "net_contribution")
    assert _amount(profit["inputs"]["credit losses, realized"]) == impact
    # and realized losses are not zero although most defaults have no loss_amount
    assert impact > 0


def test_realized_money_of_booked_loans_agrees_on_impact_and_challengers(store: Store) -> None:
    result = load_impact(store, custom_period(START, END), assumptions=A, targets=Targets())
    assert result.scorecard is not None
    basis = result.scorecard.figures["net_contribution"].basis
    realized = _amount(re.match(r"realized (-?CHF [\d,]+)", basis).group(1))
    shadow = load_shadow_rows(store, ["champ", "chal"], START, END)
    assert not shadow.sampled                             # every application is in the paired sample
    comparison = compute_comparison(shadow.frame, "champ", ["chal"], {"champ": 0.2, "chal": 0.2}, A, [])
    swap = comparison.swaps["chal"].summary.set_index("kind")
    booked = swap.loc["both approve", "realized_money"] + swap.loc["only champion approves", "realized_money"]
    assert realized == round(booked)
