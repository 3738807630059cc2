"""The Thresholds page's figures at two policies, through the store and analytics functions the
page calls (`load_threshold_bins`, `compute_threshold_figures`, `compute_fairness`, with the
assumptions in force), against the champion's raw rows over its whole history.

Policies: the one in force (cutoff and review band as registered or applied) and a second one
approving below the 40th percentile of the champion's scores with a review band up to the
60th, both rounded to the 0.001 grid. An application is approved
automatically below the review band's lower edge; in the band it counts with the assumed
officer approval share (`[review] approval_share`). Defaults: realized (latest outcome) for
matured loans, PD = the midpoint of the 0.001 score bin for the rest. Money as SPEC.md:
realized loss `loss_amount`, else exposure x LGD for a bad; exposure `loan_amount`, else the
average; interest on a matured good = exposure x margin x term; unmatured loans:
PD x LGD x average (loss) and (1 - PD) x average x margin x term (interest).

| figure | tolerance | why |
|---|---|---|
| approved (expected count), approval rate, reviews | 1e-6 | cutoffs on the 0.001 grid are bin edges: exact |
| realized and estimated defaults, expected defaults | 1e-6 | same |
| realized, estimated, expected losses; interest; profit | 1e-6 relative + 0.01 | sums of amounts (cents in the rollups) |
| fairness: group applications | exact | counts |
| fairness: group approval rate | the share of the group's applications in the 0.01-wide group bins that hold the cutoff and the review edge (0 when both are multiples of 0.01), + 1e-9 | groups use 100 score bins, interpolated linearly inside a bin |
| fairness: adverse impact ratio | (tolerance of the group's rate + ratio x tolerance of the best group's rate) / best rate, + 1e-9 | the same, propagated through the ratio |
| fairness: groups below `[fairness] min_group_size`, and "(missing)" | listed, with no ratio | SPEC.md, README |
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conformance import oracle
from tests.conformance.checks import Checks
from tests.conformance.portfolios import Portfolio


def policies(p: Portfolio) -> list[tuple[float, float | None]]:
    """The policy in force, and one approving below the 40th score percentile with a review band
    up to the 60th (both rounded to the 0.001 grid), so it cuts where the scores are."""
    scores = oracle.champion_rows(p)["score"]
    return [p.policy[p.champion], (round(float(scores.quantile(0.6)), 3), round(float(scores.quantile(0.4)), 3))]


def _weights(rows: pd.DataFrame, cutoff: float, review_from: float | None, share: float) -> tuple[np.ndarray, np.ndarray]:
    lower = cutoff if review_from is None else review_from
    b = rows["bin"].to_numpy()
    auto = b < round(lower * 1000)
    review = (b >= round(lower * 1000)) & (b < round(cutoff * 1000))
    return auto.astype(float) + share * review, review


def expected_figures(p: Portfolio, rows: pd.DataFrame, cutoff: float, review_from: float | None) -> dict[str, float]:
    m = oracle.money_of(p)
    w, review = _weights(rows, cutoff, review_from, m.review_share)
    mat = rows["matured"].to_numpy()
    bad = (rows["outcome_label"] == 1).to_numpy()
    pd_ = rows["pd"].to_numpy()
    realized = float((w * (mat & bad)).sum())
    estimated = float((w * ~mat * pd_).sum())
    loss = np.nan_to_num(oracle.realized_loss(rows, m))
    interest = np.where(mat, np.nan_to_num(oracle.realized_interest(rows, m)), oracle.expected_interest(rows, m))
    realized_losses = float((w * loss).sum())
    estimated_losses = estimated * m.lgd * m.average_amount
    review_cost = float(review.sum()) * m.cost_per_review
    income = float((w * interest).sum())
    return {"approved": float(w.sum()), "approval_rate": float(w.sum()) / len(rows), "review": float(review.sum()),
            "labelled_approved": float((w * mat).sum()), "realized_defaults": realized,
            "estimated_defaults": estimated, "expected_defaults": realized + estimated,
            "realized_losses": realized_losses, "estimated_losses": estimated_losses,
            "expected_losses": realized_losses + estimated_losses, "interest_income": income,
            "expected_profit": income - realized_losses - estimated_losses - review_cost}


@pytest.fixture
def page(portfolio: Portfolio) -> dict[str, Any]:
    from dashboard.store import Store
    from dashboard.store.assumptions import assumptions_in_force
    from dashboard.store.thresholds import load_threshold_bins

    store = Store(portfolio.store)
    return {"bins": load_threshold_bins(store, portfolio.champion), "assumptions": assumptions_in_force(store)}


COUNTS = ("approved", "approval_rate", "review", "labelled_approved", "realized_defaults", "estimated_defaults",
          "expected_defaults")
MONEY = ("realized_losses", "estimated_losses", "expected_losses", "interest_income", "expected_profit")


def test_threshold_figures(portfolio: Portfolio, page: dict[str, Any], checks: Checks) -> None:
    from dashboard.analytics.thresholds import compute_threshold_figures

    rows = oracle.champion_rows(portfolio)
    for cutoff, review_from in policies(portfolio):
        got = compute_threshold_figures(page["bins"].scores, cutoff, review_from, page["assumptions"]).to_dict()
        exp = expected_figures(portfolio, rows, cutoff, review_from)
        where = f"cutoff {cutoff}" + (f" review from {review_from}" if review_from is not None else "")
        for key in COUNTS:
            checks.value(f"thresholds {key}", where, got[key], exp[key], abs_=1e-6)
        for key in MONEY:
            checks.value(f"thresholds {key}", where, got[key], exp[key], rel=1e-6, abs_=0.01)
    checks.done()


def _interpolation_share(scores: np.ndarray, points: list[float]) -> float:
    """Share of a group's rows in the 0.01 bins that hold the points (0 for points on the grid)."""
    share = 0.0
    for x in points:
        if abs(x * 100 - round(x * 100)) > 1e-9:
            lo = np.floor(x * 100) / 100
            share += float(((scores >= lo) & (scores < lo + 0.01)).mean())
    return share


def _match(frame: pd.DataFrame, attribute: str, group: str, n: int) -> pd.Series | None:
    part = frame[frame["attribute"] == attribute]
    hit = part[part["group"].astype(str) == group]
    if len(hit) == 1:
        return hit.iloc[0]
    sizes = part["decided"] if "decided" in part else part["applications"]
    by_count = part[sizes.astype(float) == n]
    return by_count.iloc[0] if len(by_count) == 1 else None


def test_threshold_fairness(portfolio: Portfolio, page: dict[str, Any], checks: Checks) -> None:
    from dashboard.analytics.thresholds import compute_fairness

    m = oracle.money_of(portfolio)
    rows = oracle.champion_rows(portfolio)
    groups = oracle.protected_groups(portfolio, rows)
    for cutoff, review_from in policies(portfolio):
        table = compute_fairness(page["bins"].groups, cutoff, review_from, page["assumptions"])
        w, _ = _weights(rows, cutoff, review_from, m.review_share)
        points = [cutoff] + ([review_from] if review_from is not None else [])
        for attribute, labels in groups.items():
            frame = pd.DataFrame({"g": labels.to_numpy(), "w": w, "s": rows["score"].to_numpy()})
            stats = frame.groupby("g").agg(n=("w", "size"), approved=("w", "sum"))
            stats["rate"] = stats["approved"] / stats["n"]
            eligible = stats[(stats["n"] >= m.min_group_size) & (stats.index != oracle.MISSING_GROUP)]
            best = eligible["rate"].max() if len(eligible) >= 2 else None
            for group, row in stats.iterrows():
                where = f"cutoff {cutoff} {attribute}={group}"
                got = _match(table, attribute, str(group), int(row["n"]))
                if not checks.truth("fairness group present", where, got is not None,
                                    f"no row for the group (groups shown: {sorted(table[table['attribute'] == attribute]['group'].astype(str))[:12]})"):
                    continue
                tol = _interpolation_share(frame.loc[frame["g"] == group, "s"].to_numpy(), points) + 1e-9
                shown = got["decided"] if "decided" in got else got["applications"]
                checks.value("fairness applications", where, shown, int(row["n"]), abs_=1e-9)
                checks.value("fairness approval rate", where, got["approval_rate"], float(row["rate"]), abs_=tol,
                             tolerance="0.01-bin interpolation")
                air = float(row["rate"] / best) if best and group in eligible.index else None
                actual = got["adverse_impact_ratio"]
                actual = None if actual is None or (isinstance(actual, float) and np.isnan(actual)) else actual
                # Each rate is off by at most its interpolation share; the ratio by that, propagated.
                top = eligible["rate"].idxmax() if best else group
                tol_best = _interpolation_share(frame.loc[frame["g"] == top, "s"].to_numpy(), points)
                air_tol = (tol + (air or 0.0) * tol_best) / best + 1e-9 if best else 1e-9
                checks.value("fairness adverse impact ratio", where, actual, air, abs_=air_tol,
                             tolerance="0.01-bin interpolation, propagated; none below the minimum group size")
    checks.done()
