"""The Impact report of a built portfolio and every figure it should hold, recomputed from the
champion's raw rows (the rules are stated in test_impact.py's docstring)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from tests.conformance import oracle
from tests.conformance.portfolios import Portfolio, cli


def impact_period(p: Portfolio) -> pd.Period:
    quarters = sorted({pd.Period(m, "M").asfreq("Q") for m in oracle.champion_rows(p)["month"]})
    return quarters[1]


def impact_report(p: Portfolio, period: str) -> tuple[str, dict]:
    code, out, err = cli(p.store, "report", "impact", "--period", period, "--format", "json")
    assert code == 0, f"report impact exited {code}: {err}"
    return out, oracle.loads_plain(out)


def figures(data: dict) -> dict[str, dict]:
    return {f["figure"]: f for point in data["points"].values() for f in point["figures"]}


def window_money(p: Portfolio, start: dt.date, end: dt.date) -> dict[str, Any]:
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


def all_models_in(p: Portfolio, start: dt.date, end: dt.date) -> pd.DataFrame:
    rows = p.predictions.assign(date=pd.to_datetime(p.predictions["timestamp"]).dt.date)
    return oracle.in_window(rows, start, end)


def expected_impact(p: Portfolio, period: pd.Period, reference: tuple[dt.date, dt.date]) -> dict[str, Any]:
    m = oracle.money_of(p)
    start, end = period.start_time.date(), period.end_time.date()
    prev = period - 1
    w = window_money(p, start, end)
    pw = window_money(p, prev.start_time.date(), prev.end_time.date())
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
    all_rows = all_models_in(p, start, end)
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


def reference_dates(text: str) -> tuple[dt.date, dt.date]:
    found = re.findall(r"\d{4}-\d{2}-\d{2}", text or "")
    assert len(found) >= 2, f"the score PSI reference {text!r} names no dates"
    return dt.date.fromisoformat(found[0]), dt.date.fromisoformat(found[1])


def impact_and_expected(portfolio: Portfolio) -> tuple[pd.Period, str, dict, dict[str, Any]]:
    period = impact_period(portfolio)
    text, data = impact_report(portfolio, str(period).replace("Q", "-Q"))
    figs = figures(data)
    reference = reference_dates(str(figs["score_psi"]["inputs"].get("reference", "")))
    return period, text, data, expected_impact(portfolio, period, reference)
