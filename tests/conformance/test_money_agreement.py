"""One money figure, the same window, every place that shows it: equal to each other and to the
raw rows (SPEC.md: one money model, used by Impact, Thresholds and Challengers).

The figures: realized credit losses on matured approved loans in the Impact test's quarter
(`loss_amount` when given, else exposure x LGD for a bad), and realized interest on matured
good loans (exposure x margin x term), read from
- Impact: `report impact --format json`, the inputs of Net contribution;
- Thresholds: the logged policy's figures of the window (`compute_logged_figures` on
  `load_score_bins`, what the page's backtest shows as "logged");
- Challengers: the shadow sample's per-loan money (`money.compute_loan_money`, what the page's
  profit figures add up), when the sample holds every application of the window (at most
  300 a day, which every conformance portfolio meets).

| figure | tolerance | why |
|---|---|---|
| realized losses, realized interest | 1 currency unit between any two places and against the raw rows | money shown to the unit; cents in the rollups |
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from tests.conformance import oracle
from tests.conformance.checks import Checks
from tests.conformance.impact_oracle import figures, impact_and_expected, window_money
from tests.conformance.portfolios import Portfolio


def _input(inputs: dict[str, Any], *words: str) -> float | None:
    for key, value in inputs.items():
        if all(re.search(w, key, re.IGNORECASE) for w in words):
            return oracle.parse_money(value)
    return None


@pytest.fixture
def places(portfolio: Portfolio) -> dict[str, Any]:
    return portfolio.cached("money places", lambda: _places(portfolio))


def _places(portfolio: Portfolio) -> dict[str, Any]:
    # the money module's per-loan money, which the Challengers page adds up
    from dashboard.analytics.backtest import compute_logged_figures
    from dashboard.analytics.money import compute_loan_money as compute_row_money
    from dashboard.store import Store
    from dashboard.store.assumptions import assumptions_in_force
    from dashboard.store.challengers import load_shadow_rows
    from dashboard.store.thresholds import load_score_bins

    period, _, data, _ = portfolio.cached("impact", lambda: impact_and_expected(portfolio))
    start, end = period.start_time.date(), period.end_time.date()
    net = figures(data)["net_contribution"]["inputs"]
    store = Store(portfolio.store)
    a = assumptions_in_force(store)
    logged = compute_logged_figures(load_score_bins(store, portfolio.champion, start, end), a)
    sample = load_shadow_rows(store, portfolio.models, start, end)
    frame = sample.frame
    frame = frame[(frame["decision"] == "approve") & frame["label"].notna()]
    money = compute_row_money(frame["label"].astype(float).to_numpy(), frame["loan_amount"].astype(float).to_numpy(),
                              frame["loss_amount"].astype(float).to_numpy(), a)
    label = frame["label"].astype(float).to_numpy()
    raw = window_money(portfolio, start, end)
    return {
        "period": str(period), "sampled": sample.sampled,
        "losses": {"raw rows": raw["realized_loss"], "Impact": _input(net, "loss", "realized"),
                   "Thresholds (logged)": None if logged is None else logged["realized_losses"],
                   "Challengers (shadow sample)": float(-money[label == 1].sum())},
        "interest": {"raw rows": raw["income_realized"], "Impact": _input(net, "interest", "matured|realized"),
                     "Challengers (shadow sample)": float(money[label == 0].sum())},
    }


@pytest.mark.parametrize("figure", ["losses", "interest"])
def test_one_money_figure_everywhere(places: dict[str, Any], figure: str, checks: Checks) -> None:
    assert not places["sampled"], "the shadow sample should hold every application of these small portfolios"
    values = places[figure]
    expected = values["raw rows"]
    for where, value in values.items():
        if where != "raw rows":
            checks.value(f"realized {figure}: {where}", places["period"], value, expected, abs_=1.0)
    shown = [v for v in values.values() if v is not None]
    checks.truth(f"realized {figure} equal everywhere", places["period"],
                 bool(shown) and float(np.ptp(shown)) <= 1.0, f"{values}")
    checks.done()
