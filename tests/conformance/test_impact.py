"""`dashboard report impact --period YYYY-Qn --format json`: every figure of the seven points
recomputed from the champion's raw rows with SPEC.md's money and fairness rules.

The period is the portfolio's second calendar quarter with data (so the previous quarter has
decisions too). Money (SPEC.md): a matured loan (one with an ingested outcome; the latest row
counts) has exposure `loan_amount` when given, else the assumed `average_amount`; its realized
loss is `loss_amount` when given (0 is real), else exposure x LGD for a bad and 0 for a good;
a matured good earns exposure x margin x term. An approved loan without an outcome uses
PD = the midpoint of its 0.001 score bin and the assumed average amount. Fairness: numeric
protected attributes banded (declared bands; ages by [25, 35, 45, 55, 65]; otherwise reference
quintiles rounded to 3 significant digits), groups below `[fairness] min_group_size` decided
applications, and "(missing)", left out of the ratio.

| figure | tolerance | why |
|---|---|---|
| counts (approved, reviews), hours saved, override rate, declines with reasons | 1e-9 | exact counts |
| adverse impact ratio | 1e-9 | ratio of exact counts |
| money (losses avoided, net contribution, approved amount, extra goods) | 1e-6 relative + 1 (currency unit) | sums of row amounts; integer cents in the rollups |
| growth, capital deployed, serving capacity | 1e-6 relative | ratios of the above |
| median / p95 decision time | 2% | latency percentiles within 2% (SPEC.md), inverted-CDF quantile of the decided applications |
| score PSI | decile cuts on the 0.001 grid + 0.001, against the reference window the JSON names | binned scores |
| observed / assumed | the JSON states both words and the counts of matured loans with an observed amount and an observed loss | SPEC.md money |
| currency | no "EUR" anywhere in a store configured with another code; the code appears with the money | SPEC.md currency |
| statuses | a figure with no value, or capital deployed above 100%, is "n/a" with a reason, never "on track" | SPEC.md statuses |
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest

from tests.conformance import oracle
from tests.conformance.checks import Checks
from tests.conformance.impact_oracle import figures, impact_and_expected
from tests.conformance.portfolios import Portfolio

MONEY: dict[str, Any] = dict(rel=1e-6, abs_=1.0)
GRADED = ("on track", "at risk", "off track")


@pytest.fixture
def impact(portfolio: Portfolio) -> tuple[pd.Period, str, dict, dict[str, Any]]:
    return portfolio.cached("impact", lambda: impact_and_expected(portfolio))


def test_impact_figures(portfolio: Portfolio, impact: tuple, checks: Checks) -> None:
    period, _, data, exp = impact
    figs = figures(data)
    where = str(period)

    def value(key: str) -> Any:
        return figs[key]["value"] if key in figs else "figure missing"

    for key in ("declines_with_reasons", "override_rate", "hours_saved", "review_queue", "approved_count"):
        checks.value(key, where, value(key), exp[key], abs_=1e-9)
    checks.value("adverse_impact_ratio", where, value("adverse_impact_ratio"), exp["adverse_impact_ratio"],
                 abs_=1e-9)
    psi, tol = exp["score_psi"]
    checks.value("score_psi", where, value("score_psi"), psi, abs_=tol, tolerance="decile cuts on the 0.001 grid")
    for key in ("losses_avoided", "net_contribution", "approved_amount", "extra_good_approved"):
        checks.value(key, where, value(key), exp[key], **MONEY)
    for key in ("approved_amount_growth", "capital_utilization", "serving_capacity_used"):
        checks.value(key, where, value(key), exp[key], rel=1e-6, abs_=1e-12)
    for key in ("median_turnaround", "p95_turnaround"):
        checks.value(key, where, value(key), exp[key], rel=0.02)
    checks.done()


def test_impact_fairness_groups(portfolio: Portfolio, impact: tuple, checks: Checks) -> None:
    """Banded groups, the minimum group size, and no ratio from a group below it."""
    period, _, data, exp = impact
    air = figures(data)["adverse_impact_ratio"]
    text = json.dumps(air["inputs"])
    m = oracle.money_of(portfolio)
    for attribute, (_ratio, rates, left) in exp["fairness_detail"].items():
        for group, (n, _rate) in rates.items():
            checks.truth("qualifying group listed", f"{period} {attribute}={group}", group in text,
                         f"group {group!r} ({int(n)} decided) not in the inputs: {text[:300]}")
        for group in left:
            checks.truth("small group left out", f"{period} {attribute}={group}", group in text,
                         f"group {group!r} below {m.min_group_size} not listed as left out")
    groups = air["inputs"].get("approval rate by group") or {}
    checks.truth("no single-year age groups", str(period), not any(re.fullmatch(r"age=\d+(\.0)?", g) for g in groups),
                 f"{sum(1 for g in groups if re.fullmatch(r'age=[0-9.]+', g))} one-year age groups")
    checks.truth("minimum group size stated", str(period), str(m.min_group_size) in text,
                 f"the minimum group size {m.min_group_size} is not stated")
    checks.done()


def _money_figures(data: dict) -> list[dict]:
    return [f for f in figures(data).values() if f["unit"].lower() in ("eur", "money", "currency")
            or f["figure"] in ("losses_avoided", "net_contribution", "approved_amount")]


def test_impact_states_observed_and_assumed(portfolio: Portfolio, impact: tuple, checks: Checks) -> None:
    period, _, data, exp = impact
    counts = oracle.observed_counts(exp["window"]["matured"])
    text = json.dumps([f["inputs"] for f in _money_figures(data)] + [data.get("notes")]).lower()
    checks.truth("says what was observed", str(period), "observed" in text, "the word 'observed' is absent")
    checks.truth("says what was assumed", str(period), "assum" in text, "the word 'assumed' is absent")
    def stated(n: int) -> bool:
        return bool(re.search(rf"(?<![\d,.]){n:,}(?![\d,])", text) or re.search(rf"(?<![\d,.]){n}(?![\d,])", text))

    n = counts["amount_observed"]
    checks.truth("count of matured loans with an observed amount", str(period), stated(n),
                 f"{n} is not stated; counts {counts}")
    # Losses: the count over every matured loan or over the defaults (where a loss matters).
    n, d = counts["loss_observed"], counts["loss_observed_defaults"]
    checks.truth("count of matured loans with an observed loss", str(period), stated(n) or stated(d),
                 f"neither {n} (matured loans) nor {d} (defaults) with an observed loss is stated; counts {counts}")
    checks.done()


def test_impact_currency(portfolio: Portfolio, impact: tuple, checks: Checks) -> None:
    period, text, data, _ = impact
    code = oracle.money_of(portfolio).currency
    if code != "EUR":
        found = sorted(set(re.findall(r"[^\s\"]*\bEUR\b[^\s\"]*", text, re.IGNORECASE)))
        checks.truth("no EUR in a non-EUR store", str(period), not found, f"{len(found)} EUR label(s), e.g. {found[:3]}")
    money_text = json.dumps([f["inputs"] for f in _money_figures(data)])
    checks.truth("currency code shown with money", str(period), code in money_text,
                 f"{code} not in the money figures' inputs")
    checks.done()


def test_impact_statuses(portfolio: Portfolio, impact: tuple, checks: Checks) -> None:
    period, _, data, exp = impact
    for key, f in figures(data).items():
        if f["value"] is None:
            checks.truth("no value is never graded", f"{period} {key}", f["status"] not in GRADED,
                         f"status {f['status']!r} for a figure without a value")
    cap = figures(data)["capital_utilization"]
    if exp["capital_utilization"] > 1:
        checks.truth("capital above 100% is n/a", str(period), cap["status"] == "n/a",
                     f"capital deployed {cap['value']:.0%} has status {cap['status']!r}")
        reason = json.dumps(cap)
        checks.truth("n/a has its reason", str(period), "capital" in reason.lower() and len(reason) > 80,
                     "no reason next to the n/a status")
    checks.done()
