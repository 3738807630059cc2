"""The backtest of a policy on a past window, and how far its figures rest on realized outcomes
(pure; on the per-bin arrays of `analytics.thresholds`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.money import MoneyBasis, compute_money
from dashboard.analytics.thresholds import (
    DECISION_ORDER,
    ScoreBins,
    ThresholdFigures,
    bin_midpoints,
    check_assumptions,
    compute_threshold_figures,
    cumulative_at,
    prepare_bins,
)


def compute_calibration_gap(scores: ScoreBins) -> dict[str, float] | None:
    """Realized defaults against what the scores predicted, on the labelled population.

    A ratio above 1 means the scores under-predict defaults, so estimated figures for
    unlabelled applications are likely optimistic.
    """
    labelled = scores.n_labelled.sum(axis=0).astype(float)
    if labelled.sum() == 0:
        return None
    predicted = float((labelled * bin_midpoints(scores.bins)).sum())
    realized = float(scores.n_bad.sum())
    return {"labelled": float(labelled.sum()), "realized_defaults": realized,
            "predicted_defaults": predicted, "ratio": realized / predicted if predicted else float("nan")}


def compute_logged_figures(scores: ScoreBins, assumptions: BusinessAssumptions) -> dict[str, float] | None:
    """What the logged decisions did (None for a shadow model that never decided).

    Reviewed applications count with the assumed officer approval share, as in the lever.
    """
    if not scores.has_decisions:
        return None
    check_assumptions(assumptions)
    a = assumptions
    idx = {d: i for i, d in enumerate(DECISION_ORDER)}
    weight = np.zeros((len(DECISION_ORDER), 1))
    weight[idx["approve"]], weight[idx["review"]] = 1.0, a.review_approval_share
    money = compute_money(scores.sums, bin_midpoints(scores.bins)[None, :], a)

    def approved_sum(values: np.ndarray) -> float:
        return float((values * weight).sum())

    approved = approved_sum(scores.n)
    realized, estimated = approved_sum(scores.n_bad), approved_sum(money.expected_defaults)
    realized_loss, estimated_loss = approved_sum(money.realized_loss), approved_sum(money.expected_loss)
    interest = approved_sum(money.realized_interest) + approved_sum(money.expected_interest)
    review = float(scores.n[idx["review"]].sum())
    defaults = realized + estimated
    total = float(scores.total)
    return {"applications": total, "approved": approved, "review": review,
            "approval_rate": approved / total if total else float("nan"),
            "labelled_approved": approved_sum(scores.n_labelled), "realized_defaults": realized,
            "estimated_defaults": estimated, "expected_defaults": defaults,
            "expected_bad_rate": defaults / approved if approved else float("nan"),
            "realized_losses": realized_loss, "estimated_losses": estimated_loss,
            "expected_losses": realized_loss + estimated_loss, "interest_income": interest,
            "review_cost": review * a.cost_per_review, "review_hours": review * a.minutes_per_review / 60,
            "expected_profit": interest - realized_loss - estimated_loss - review * a.cost_per_review}


def compute_money_basis(scores: ScoreBins, cutoff: float) -> MoneyBasis:
    """Which money inputs were observed for the applications below `cutoff` (whole bins)."""
    below = np.zeros(scores.n.shape, dtype=bool)
    below[:, : int(round(cutoff * scores.bins))] = True
    return MoneyBasis.of(scores.sums, below)


BACKTEST_ROWS = (
    ("applications", "Applications"), ("approved", "Approved (expected)"), ("approval_rate", "Approval rate"),
    ("review", "Sent to review"), ("labelled_approved", "Approved with a matured outcome"),
    ("realized_defaults", "Defaults, realized (matured loans)"),
    ("estimated_defaults", "Defaults, estimated from scores (no outcome)"),
    ("expected_defaults", "Defaults, total"), ("expected_bad_rate", "Bad rate among approved"),
    ("realized_losses", "Losses, realized"), ("estimated_losses", "Losses, estimated"),
    ("expected_losses", "Losses, total"), ("review_cost", "Review cost"),
    ("expected_profit", "Profit"),
)


def compute_backtest(scores: ScoreBins, chosen: tuple[float, float | None], in_force: tuple[float, float | None],
                     assumptions: BusinessAssumptions) -> pd.DataFrame:
    """The chosen policy against the policy in force (and the logged decisions) on a past window.

    Columns: figure, logged (None for shadow models), in_force, chosen, difference
    (chosen - in force).
    """
    chosen_f = compute_threshold_figures(scores, chosen[0], chosen[1], assumptions).to_dict()
    force_f = compute_threshold_figures(scores, in_force[0], in_force[1], assumptions).to_dict()
    logged = compute_logged_figures(scores, assumptions)
    rows = []
    for key, label in BACKTEST_ROWS:
        c, f = chosen_f[key], force_f[key]
        rows.append({"key": key, "figure": label, "logged": None if logged is None else logged[key],
                     "in_force": f, "chosen": c,
                     "difference": None if c is None or f is None else float(c) - float(f)})
    return pd.DataFrame(rows)


def compute_selection_note(scores: ScoreBins, chosen_cutoff: float, in_force_cutoff: float) -> str:
    """Plain words on how far the backtest rests on realized outcomes."""
    prep = prepare_bins(scores, BusinessAssumptions())  # counts only: no money needed
    lo, hi = sorted((chosen_cutoff, in_force_cutoff))
    moved = float(cumulative_at(prep.n, np.array([hi]))[0] - cumulative_at(prep.n, np.array([lo]))[0])
    moved_lab = float(cumulative_at(prep.labelled, np.array([hi]))[0] - cumulative_at(prep.labelled, np.array([lo]))[0])
    text = ("Outcomes exist only for loans the logged policy approved, so applicants it declined have "
            "no label: their defaults are estimated from the score, which assumes the model stays "
            "calibrated above the old cutoff (selection bias: this cannot be checked from the data).")
    if moved > 0:
        share = moved_lab / moved
        direction = "more lenient" if chosen_cutoff > in_force_cutoff else "stricter"
        text += (f" Between the two cutoffs lie {moved:,.0f} applications; {share:.0%} of them have a "
                 f"matured outcome. The chosen cutoff is {direction} than the policy in force.")
    return text


def describe_sources(figures: ThresholdFigures) -> str:
    """Which part of the default figure is realized and which is estimated, in words."""
    if figures.approved <= 0:
        return "This policy approves nothing in the window."
    realized_share = figures.realized_share or 0.0
    if figures.labelled_approved == 0:
        return ("No approved application in this window has a matured outcome yet: every default, loss "
                "and profit figure is estimated from the calibrated score.")
    return (f"{figures.labelled_approved:,.0f} of {figures.approved:,.0f} approved applications "
            f"({realized_share:.0%}) have a matured outcome: their {figures.realized_defaults:,.0f} defaults "
            f"and losses are realized. The other {figures.approved - figures.labelled_approved:,.0f} are "
            f"estimated from the calibrated score ({figures.estimated_defaults:,.1f} expected defaults).")
