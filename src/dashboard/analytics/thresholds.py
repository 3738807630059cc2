"""Threshold levers from score histograms: what a cutoff and a review band would do.

Everything works on per-bin arrays (1,000 equal-width score bins, 100 for protected
groups), so one move of the lever is a few vector operations whatever the number of rows.
Cumulative sums are interpolated linearly inside a bin (mass spread evenly over the bin),
so a cutoff between bin edges is within one bin of the exact row count.

Expected defaults use the matured label where an application has one (only loans the
logged policy approved ever get one) and the calibrated score, taken as the bin midpoint,
where it does not. Money follows the one money model (`analytics/money.py`): realized losses
and interest for matured loans, expected ones from the score for the rest. Both parts are
kept apart so the page can say which figure is realized and which is estimated. Fairness
follows `analytics/fairness.py` (one minimum group size, banded numeric attributes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.binning import GROUP_SCORE_BINS, SCORE_BINS, score_bin_edges
from dashboard.analytics.fairness import (
    MISSING_GROUP,
    RATE_COLUMNS,
    compute_group_rates,
)
from dashboard.analytics.money import MONEY_COLUMNS, MoneySums, compute_money
from dashboard.analytics.policy import validate_policy
from dashboard.errors import DashboardError

DECISION_ORDER = ("approve", "review", "decline", "none")
CURVE_STEP = 0.001  # curves are evaluated on every score-bin edge


class ThresholdError(DashboardError, ValueError):
    """Input the lever cannot use; the message says what to change."""


@dataclass(frozen=True)
class ScoreBins:
    """Per-bin sums for one model and window: the money model's sums as (decision, bin) arrays,
    shape (4, 1000), decisions in DECISION_ORDER."""

    model_id: str
    start: dt.date | None
    end: dt.date | None
    sums: MoneySums

    @property
    def n(self) -> np.ndarray:
        return self.sums.n

    @property
    def n_labelled(self) -> np.ndarray:
        return self.sums.n_labelled

    @property
    def n_bad(self) -> np.ndarray:
        return self.sums.n_bad

    @property
    def bins(self) -> int:
        return int(self.n.shape[1])

    @property
    def total(self) -> int:
        return int(self.n.sum())

    @property
    def labelled(self) -> int:
        return int(self.n_labelled.sum())

    @property
    def has_decisions(self) -> bool:
        """True when the model's own decisions were logged (champion), not shadow scores."""
        return bool(self.n[:3].sum() > 0)


@dataclass(frozen=True)
class GroupBins:
    """Per protected attribute: group names and an (n_groups, 100) array of counts."""

    attributes: dict[str, tuple[tuple[str, ...], np.ndarray]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.attributes


@dataclass(frozen=True)
class ThresholdBins:
    scores: ScoreBins
    groups: GroupBins


@dataclass(frozen=True)
class ThresholdFigures:
    """What one policy would do on a window. Counts are expected counts (floats)."""

    cutoff: float
    review_from: float | None
    applications: int
    approved: float              # automatic approvals plus the assumed share of reviews
    auto_approved: float
    review: float
    declined: float
    approval_rate: float | None
    labelled_approved: float     # approved applications that have a matured label
    realized_defaults: float     # defaults among them (observed)
    estimated_defaults: float    # expected defaults among unlabelled approved (from scores)
    expected_defaults: float
    expected_bad_rate: float | None
    realized_losses: float
    estimated_losses: float
    expected_losses: float
    interest_income: float
    review_cost: float
    review_hours: float
    expected_profit: float

    @property
    def realized_share(self) -> float | None:
        """Share of approved applications whose default figure is realized, not estimated."""
        return self.labelled_approved / self.approved if self.approved else None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["realized_share"] = self.realized_share
        return out


# ---------------------------------------------------------------------------- validation
def check_assumptions(assumptions: BusinessAssumptions) -> None:
    """Refuse negative costs or amounts (the TOML parser already does; events may not)."""
    bad = [f"{k} = {v}" for k, v in assumptions.numbers().items() if v < 0]
    if bad:
        raise ThresholdError("business assumptions must not be negative: " + ", ".join(bad))


def check_lever(cutoff: float, review_from: float | None = None) -> None:
    """Cutoff in 0..1 and a review band whose lower edge is not above the cutoff."""
    try:
        validate_policy(cutoff, review_from)
    except ValueError as exc:
        raise ThresholdError(str(exc)) from None


# ---------------------------------------------------------------------------- core maths
def cumulative_at(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Sum of a per-bin array below each score in `points` (linear inside a bin)."""
    edges = score_bin_edges(values.shape[-1])
    cum = np.concatenate([[0.0], np.cumsum(values, dtype=float)])
    return np.asarray(np.interp(points, edges, cum), dtype=float)


def bin_midpoints(bins: int) -> np.ndarray:
    edges = score_bin_edges(bins)
    return np.asarray((edges[:-1] + edges[1:]) / 2, dtype=float)


@dataclass(frozen=True)
class PreparedBins:
    """The per-bin arrays every figure needs, summed over decisions (computed once)."""

    n: np.ndarray
    labelled: np.ndarray
    bad: np.ndarray
    realized_loss: np.ndarray
    realized_interest: np.ndarray
    est_bad: np.ndarray
    est_loss: np.ndarray
    est_interest: np.ndarray
    total: int


def prepare_bins(scores: ScoreBins, a: BusinessAssumptions) -> PreparedBins:
    sums = scores.sums.map(lambda v: v.sum(axis=0))
    money = compute_money(sums, bin_midpoints(scores.bins), a)
    return PreparedBins(n=sums.n, labelled=sums.n_labelled, bad=sums.n_bad, realized_loss=money.realized_loss,
                     realized_interest=money.realized_interest, est_bad=money.expected_defaults,
                     est_loss=money.expected_loss, est_interest=money.expected_interest, total=scores.total)


def _figures(prep: PreparedBins, cutoffs: np.ndarray, lowers: np.ndarray,
             a: BusinessAssumptions) -> dict[str, np.ndarray]:
    """Every figure at many (cutoff, review lower edge) pairs at once."""
    share = a.review_approval_share

    def band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        below, upto = cumulative_at(values, lowers), cumulative_at(values, cutoffs)
        return below, upto - below

    auto, review = band(prep.n)
    def approved_part(values: np.ndarray) -> np.ndarray:
        in_auto, in_review = band(values)
        return in_auto + share * in_review

    approved = auto + share * review
    realized = approved_part(prep.bad)
    estimated = approved_part(prep.est_bad)
    defaults = realized + estimated
    realized_loss = approved_part(prep.realized_loss)
    estimated_loss = approved_part(prep.est_loss)
    interest = approved_part(prep.realized_interest) + approved_part(prep.est_interest)
    review_cost = review * a.cost_per_review
    total = float(prep.total)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(total > 0, approved / max(total, 1.0), np.nan)
        bad_rate = np.where(approved > 0, defaults / np.where(approved > 0, approved, 1.0), np.nan)
    return {
        "cutoff": cutoffs, "review_from": lowers, "approved": approved, "auto_approved": auto,
        "review": review, "declined": total - auto - review, "approval_rate": rate,
        "labelled_approved": approved_part(prep.labelled), "realized_defaults": realized,
        "estimated_defaults": estimated, "expected_defaults": defaults, "expected_bad_rate": bad_rate,
        "realized_losses": realized_loss, "estimated_losses": estimated_loss,
        "expected_losses": realized_loss + estimated_loss, "interest_income": interest,
        "review_cost": review_cost, "review_hours": review * a.minutes_per_review / 60.0,
        "expected_profit": interest - realized_loss - estimated_loss - review_cost,
    }


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def compute_threshold_figures(scores: ScoreBins, cutoff: float, review_from: float | None,
                              assumptions: BusinessAssumptions) -> ThresholdFigures:
    """Every figure of the lever for one policy (raises ThresholdError on bad input)."""
    check_lever(cutoff, review_from)
    check_assumptions(assumptions)
    if scores.total == 0:
        raise ThresholdError(f"no applications scored by {scores.model_id} in this window")
    lower = cutoff if review_from is None else review_from
    f = _figures(prepare_bins(scores, assumptions), np.array([float(cutoff)]), np.array([float(lower)]), assumptions)
    row = {k: float(v[0]) for k, v in f.items()}
    return ThresholdFigures(
        cutoff=float(cutoff), review_from=review_from, applications=scores.total,
        approved=row["approved"], auto_approved=row["auto_approved"], review=row["review"],
        declined=row["declined"], approval_rate=_none_if_nan(row["approval_rate"]),
        labelled_approved=row["labelled_approved"], realized_defaults=row["realized_defaults"],
        estimated_defaults=row["estimated_defaults"], expected_defaults=row["expected_defaults"],
        expected_bad_rate=_none_if_nan(row["expected_bad_rate"]), realized_losses=row["realized_losses"],
        estimated_losses=row["estimated_losses"], expected_losses=row["expected_losses"],
        interest_income=row["interest_income"], review_cost=row["review_cost"],
        review_hours=row["review_hours"], expected_profit=row["expected_profit"])


def compute_threshold_curves(scores: ScoreBins, assumptions: BusinessAssumptions,
                             review_width: float = 0.0, step: float = CURVE_STEP) -> pd.DataFrame:
    """Every figure at every cutoff on a grid; a review band of `review_width` below each."""
    check_assumptions(assumptions)
    if review_width < 0 or review_width > 1:
        raise ThresholdError(f"the review band's width must be between 0 and 1, got {review_width}")
    cutoffs = np.round(np.arange(0.0, 1.0 + step / 2, step), 6)
    lowers = np.maximum(cutoffs - review_width, 0.0)
    return pd.DataFrame(_figures(prepare_bins(scores, assumptions), cutoffs, lowers, assumptions))


def compute_profit_optimal(curves: pd.DataFrame) -> float | None:
    """The cutoff with the highest expected profit on the curve grid (lowest if tied)."""
    if curves.empty or curves["expected_profit"].isna().all():
        return None
    return float(curves["cutoff"].iloc[int(np.nanargmax(curves["expected_profit"].to_numpy()))])


# ---------------------------------------------------------------------------- fairness
def _group_approved(counts: np.ndarray, cutoff: float, lower: float, share: float) -> np.ndarray:
    points = np.array([lower, cutoff], dtype=float)
    edges = score_bin_edges(counts.shape[-1])
    cum = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1, dtype=float)], axis=1)
    at = np.vstack([np.interp(points, edges, row) for row in cum])
    return np.asarray(at[:, 0] + share * (at[:, 1] - at[:, 0]))


def compute_fairness(groups: GroupBins, cutoff: float, review_from: float | None,
                     assumptions: BusinessAssumptions) -> pd.DataFrame:
    """Per attribute and group at the policy: applications, expected approvals, approval rate and
    adverse impact ratio (`fairness.compute_group_rates`: groups under the minimum size, and
    unknown values, keep their rate but get no ratio)."""
    check_lever(cutoff, review_from)
    lower = cutoff if review_from is None else review_from
    parts = []
    for attribute, (names, counts) in groups.attributes.items():
        approved = _group_approved(counts, cutoff, lower, assumptions.review_approval_share)
        parts.append(pd.DataFrame({"attribute": attribute, "group": list(names),
                                   "decided": counts.sum(axis=1).astype(float), "approved": approved}))
    if not parts:
        return pd.DataFrame(columns=RATE_COLUMNS)
    return compute_group_rates(pd.concat(parts, ignore_index=True), assumptions.min_group_size)


def compute_fairness_curves(groups: GroupBins, assumptions: BusinessAssumptions, review_width: float = 0.0,
                            step: float = 0.01) -> pd.DataFrame:
    """Lowest adverse impact ratio per attribute at every cutoff on a grid (the same rule as
    `compute_fairness`, vectorised over cutoffs)."""
    cutoffs = np.round(np.arange(0.0, 1.0 + step / 2, step), 6)
    lowers = np.maximum(cutoffs - review_width, 0.0)
    out: dict[str, np.ndarray] = {"cutoff": cutoffs}
    share = assumptions.review_approval_share
    for attribute, (names, counts) in groups.attributes.items():
        totals = counts.sum(axis=1).astype(float)
        keep = (totals >= assumptions.min_group_size) & (np.asarray(names, dtype=object) != MISSING_GROUP)
        if keep.sum() < 2:
            continue
        edges = score_bin_edges(counts.shape[-1])
        cum = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1, dtype=float)], axis=1)
        below = np.vstack([np.interp(lowers, edges, row) for row in cum[keep]])
        upto = np.vstack([np.interp(cutoffs, edges, row) for row in cum[keep]])
        rates = (below + share * (upto - below)) / totals[keep][:, None]
        best = rates.max(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[attribute] = np.where(best > 0, rates.min(axis=0) / np.where(best > 0, best, 1.0), np.nan)
    return pd.DataFrame(out)


def make_score_bins(model_id: str, frame: pd.DataFrame, start: dt.date | None = None,
                    end: dt.date | None = None, bins: int = SCORE_BINS) -> ScoreBins:
    """Dense (decision, bin) arrays from a rollup frame (columns decision, bin and MONEY_COLUMNS)."""
    shape = (len(DECISION_ORDER), bins)
    arrays = {k: np.zeros(shape, dtype=float) for k in MONEY_COLUMNS}
    if not frame.empty:
        d = frame["decision"].map({d: i for i, d in enumerate(DECISION_ORDER)}).fillna(3).astype(int).to_numpy()
        b = np.clip(frame["bin"].astype(int).to_numpy(), 0, bins - 1)
        for k in arrays:
            if k in frame:
                np.add.at(arrays[k], (d, b), frame[k].fillna(0).astype(float).to_numpy())
    return ScoreBins(model_id=model_id, start=start, end=end, sums=MoneySums(**arrays))


def make_group_bins(frame: pd.DataFrame, attributes: list[str] | tuple[str, ...],
                    bins: int = GROUP_SCORE_BINS) -> GroupBins:
    """Dense per-group arrays from a rollup frame (columns attribute, grp, bin, n)."""
    out: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    for attribute in attributes:
        part = frame[frame["attribute"] == attribute] if not frame.empty else frame
        if part.empty:
            continue
        names = tuple(sorted(part["grp"].astype(str).unique()))
        pos = {g: i for i, g in enumerate(names)}
        counts = np.zeros((len(names), bins), dtype=float)
        np.add.at(counts, (part["grp"].astype(str).map(pos).to_numpy(),
                           np.clip(part["bin"].astype(int).to_numpy(), 0, bins - 1)),
                  part["n"].astype(float).to_numpy())
        out[attribute] = (names, counts)
    return GroupBins(attributes=out)


def figures_frame(items: Mapping[str, ThresholdFigures]) -> pd.DataFrame:
    """Several policies side by side (rows: figures, columns: the mapping's names)."""
    return pd.DataFrame({name: f.to_dict() for name, f in items.items()})
