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

import datetime as dt
import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conformance import oracle
from tests.conformance.conftest import Checks
from tests.conformance.portfolios import Portfolio, cli

MONEY = dict(rel=1e-6, abs_=1.0)
GRADED = ("on track", "at risk", "off track")


def impact_period(p: Portfolio) -> pd.Period:
    quarters = sorted({pd.Period(m, "M").asfreq("Q") for m in oracle.champion_rows(p)["month"]})
    return quarters[1]


def _impact(p: Portfolio, period: str) -> tuple[str, dict]:
    code, out, err = cli(p.store, "report", "impact", "--period", period, "--format", "json")
    assert code == 0, f"report impact exited {code}: {err}"
    return out, oracle.loads_plain(out)


def figures(data: dict) -> dict[str, dict]:
    return {f["figure"]: f for point in data["points"].values() for f in point["figures"]}


def _window_money(p: Portfolio, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Every money and count figure of the champion's decisions in [start, end], from raw rows."""
    m = oracle.money_of(p)
    rows = oracle.in_window(oracle.champion_rows(p), start, end)
    dec = rows["decision"]
    approved = rows[dec == "approve"]
    mat, opn = approved[approved["matured"]], approved[~approved["matured"]]
    base_ok = rows["score"] < m.baseline_cutoff
    declined_by_policy = rows[dec.isin(["decline", "review"]) & base_ok]
    extra = approved[approved["score"] >= m.baseline_cutoff]
    extra_mat, extra_open = extra[extra["matured"]], extra[~extra["matured"]]
    return {
        "rows": rows, "approved": approved, "matured": mat,
        "n_decided": int(dec.isin(oracle.DECIDED).sum()), "n_approve": int(len(approved)),
        "n_decline": int((dec == "decline").sum()), "n_review": int((dec == "review").sum()),
        "realized_loss": float(np.nansum(oracle.realized_loss(mat, m))),
        "income_realized": float(np.nansum(oracle.realized_interest(mat, m))),
        "expected_loss": float(oracle.expected_loss(opn, m).sum()),
        "income_expected": float(oracle.expected_interest(opn, m).sum()),
        "approved_amount": float(oracle.exposure(mat, m).sum() + len(opn) * m.average_amount),
        "avoided_expected": float(oracle.expected_loss(declined_by_policy, m).sum()),
        "extra_realized": float(np.nansum(oracle.realized_loss(extra_mat, m))),
        "extra_expected": float(oracle.expected_loss(extra_open, m).sum()),
        "extra_good": float((extra_mat["outcome_label"] == 0).sum() + (1 - extra_open["pd"]).sum()),
    }


def _all_models_in(p: Portfolio, start: dt.date, end: dt.date) -> pd.DataFrame:
    rows = p.predictions.assign(date=pd.to_datetime(p.predictions["timestamp"]).dt.date)
    return oracle.in_window(rows, start, end)


def expected_impact(p: Portfolio, period: pd.Period, reference: tuple[dt.date, dt.date]) -> dict[str, Any]:
    m = oracle.money_of(p)
    start, end = period.start_time.date(), period.end_time.date()
    prev = period - 1
    w = _window_money(p, start, end)
    pw = _window_money(p, prev.start_time.date(), prev.end_time.date())
    rows = w["rows"]
    decided = rows[rows["decision"].isin(oracle.DECIDED)]
    air, detail = None, {}
    for attribute, groups in oracle.protected_groups(p, decided).items():
        ratio, rates, left = oracle.adverse_impact(groups, (decided["decision"] == "approve").to_numpy(),
                                                   np.ones(len(decided)), m.min_group_size)
        detail[attribute] = (ratio, rates, left)
        if ratio is not None and (air is None or ratio < air):
            air = ratio
    # Decision time: an automatic decision takes the pipeline time plus its scoring latency,
    # a review the manual turnaround.
    lat = decided["latency_ms"].astype(float).fillna(0).to_numpy() / 1000 if "latency_ms" in decided else 0.0
    times = np.where(decided["decision"] == "review", m.manual_hours * 3600, m.auto_seconds + lat)
    log = oracle.champion_rows(p)
    first, last = min(log["date"]), max(log["date"])
    days = (min(end, last) - max(start, first)).days + 1
    all_rows = _all_models_in(p, start, end)
    ops = len(all_rows) * m.cost_per_prediction + w["n_review"] * m.cost_per_review
    ref_scores = oracle.in_window(log, *reference)["score"].to_numpy()
    psi, psi_tol = oracle.fixed_step_psi_band(ref_scores, rows["score"].to_numpy(), 0.001)
    return {
        "adverse_impact_ratio": air, "fairness_detail": detail,
        "declines_with_reasons": 1.0 if w["n_decline"] else None, "override_rate": 0.0,
        "score_psi": (psi, psi_tol),
        "losses_avoided": w["avoided_expected"] - w["extra_realized"] - w["extra_expected"],
        "hours_saved": (w["n_decided"] * m.manual_minutes - w["n_review"] * m.minutes_per_review) / 60,
        "review_queue": float(w["n_review"]),
        "median_turnaround": float(np.quantile(times, 0.5, method="inverted_cdf")),
        "p95_turnaround": float(np.quantile(times, 0.95, method="inverted_cdf")),
        "net_contribution": w["income_realized"] + w["income_expected"] - w["realized_loss"] - w["expected_loss"] - ops,
        "approved_amount": w["approved_amount"], "approved_count": float(w["n_approve"]),
        "approved_amount_growth": (w["approved_amount"] / pw["approved_amount"] - 1) if pw["approved_amount"] else None,
        "extra_good_approved": w["extra_good"],
        "capital_utilization": w["approved_amount"] / (m.capital * days / 365),
        "serving_capacity_used": float(all_rows.groupby("date").size().max() / (m.capacity_per_second * 86_400)),
        "window": w, "days": days, "money": m,
    }


def _dates(text: str) -> tuple[dt.date, dt.date]:
    found = re.findall(r"\d{4}-\d{2}-\d{2}", text or "")
    assert len(found) >= 2, f"the score PSI reference {text!r} names no dates"
    return dt.date.fromisoformat(found[0]), dt.date.fromisoformat(found[1])


@pytest.fixture
def impact(portfolio: Portfolio) -> tuple[pd.Period, str, dict, dict[str, Any]]:
    return portfolio.cached("impact", lambda: _impact_and_expected(portfolio))


def _impact_and_expected(portfolio: Portfolio) -> tuple[pd.Period, str, dict, dict[str, Any]]:
    period = impact_period(portfolio)
    text, data = _impact(portfolio, str(period).replace("Q", "-Q"))
    figs = figures(data)
    reference = _dates(str(figs["score_psi"]["inputs"].get("reference", "")))
    return period, text, data, expected_impact(portfolio, period, reference)


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
