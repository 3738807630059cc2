"""Segments: the figures of one model split by the values of a column (product, channel, region,
a protected band ...), and where the model fails most, weighted by each segment's size.

A segment column becomes values the way a protected attribute becomes groups
(`fairness.compute_group_spec`: declared bands, the default age bands, quintiles of the first
values seen, else one value per logged value), fixed when first seen so that rollups stay
comparable. A categorical column keeps its SEGMENT_VALUE_CAP most frequent first-seen values;
every other value (a rare one, or one first logged later) is counted as "(other)", and a missing
one as "(missing)". So a segment column holds at most SEGMENT_VALUE_CAP + 2 values.

Figures per value, from the `segments` rollup (100 score bins per value):
- approval rate: approved / decided (exact), with its Wilson 95% interval;
- bad rate: bads / matured outcomes (exact), Wilson 95% interval;
- AUC on matured outcomes: within +-auc_bound of the exact AUC (pairs tied in a 0.01 bin), with a
  Hanley-McNeil 95% interval for its sampling noise;
- calibration ratio: observed bads / expected bads (the sum of the scores of the matured rows,
  exact to 1e-6 per row), with a 95% interval from the binomial variance of the bads;
- score PSI against the same value in a reference window (on the 100 bins, `histogram.psi`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

from dashboard.analytics.binning import GROUP_SCORE_BINS
from dashboard.analytics.drift_thresholds import DEFAULT_THRESHOLDS, psi_status
from dashboard.analytics.fairness import (
    BANDS,
    MISSING_GROUP,
    GroupSpec,
    compute_group_spec,
    group_order,
)
from dashboard.analytics.histogram import auc_standard_error, psi
from dashboard.analytics.performance import compute_metrics_2d
from dashboard.models.card import ModelCard

SEGMENT_VALUE_CAP = 20          # values kept per categorical segment column; the rest are "(other)"
OTHER_VALUE = "(other)"
ALL_VALUE = "(all)"             # the whole portfolio's row of a segment table
SEGMENT_SCORE_BINS = GROUP_SCORE_BINS  # 100 score bins per value: AUC within +-0.5 x the tied pairs' share
MICRO = 1_000_000               # scores summed in millionths (integers: sums do not depend on their order)
SMALL_SEGMENT = DEFAULT_THRESHOLDS.min_labelled  # fewer matured outcomes: the figure is marked small
LEVEL = 0.95
SOURCE_CARD = "declared in the model card (segments)"
SOURCE_DEFAULT = ("assumed: the card declares no segments, so its protected attributes and categorical "
                  "features are used")
# The figures ranked by "where is it failing", the way a gap is bad (+1: higher than the
# portfolio is worse) and the population that weighs it.
RANKED = {"auc": (-1, "labelled"), "bad_rate": (1, "labelled"), "approval_rate": (-1, "decided"),
          "calibration_ratio": (0, "labelled"), "psi": (1, "applications")}
MEASURES = ("n", "n_decided", "n_approve", "n_labelled", "n_bad", "score_micro_labelled")


@dataclass(frozen=True)
class SegmentSpec:
    """How one segment column becomes values: its grouping and, categorical, the values kept."""

    group: GroupSpec
    values: tuple[str, ...] = ()   # categorical: the kept values (others are OTHER_VALUE)

    @property
    def column(self) -> str:
        return self.group.attribute

    def describe(self) -> str:
        if self.group.kind == BANDS:
            return self.group.describe()
        return (f"{self.column}: {len(self.values)} values kept (at most {SEGMENT_VALUE_CAP}; others are "
                f"{OTHER_VALUE}, missing ones {MISSING_GROUP})")

    def to_dict(self) -> dict[str, Any]:
        return {**self.group.to_dict(), "values": list(self.values)}

    @classmethod
    def from_dict(cls, column: str, data: Mapping[str, Any]) -> SegmentSpec:
        return cls(GroupSpec.from_dict(column, data), tuple(str(v) for v in data.get("values") or ()))


def compute_segment_spec(column: str, values: pd.Series | None,
                         declared: Sequence[float] | None = None) -> SegmentSpec:
    """Declared bands, else `fairness.compute_group_spec`; a categorical column keeps its
    SEGMENT_VALUE_CAP most frequent values (ties by name)."""
    group = compute_group_spec(column, values, declared)
    if group.kind == BANDS or values is None:
        return SegmentSpec(group)
    present = values.dropna().astype(str)
    counts = present.value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return SegmentSpec(group, tuple(sorted(str(v) for v, _ in ranked[:SEGMENT_VALUE_CAP])))


def segment_columns(card: ModelCard) -> tuple[list[str], str]:
    """The model's segment columns and where they come from (the card, or the stated default)."""
    if card.segments:
        return list(card.segments), SOURCE_CARD
    default = [*card.protected_attributes, *(f.name for f in card.features if f.type == "categorical")]
    return list(dict.fromkeys(default)), SOURCE_DEFAULT


def _dense(hist: pd.DataFrame, values: list[str], column: str) -> np.ndarray:
    """values x SEGMENT_SCORE_BINS counts of one measure."""
    out = np.zeros((len(values), SEGMENT_SCORE_BINS))
    if hist.empty:
        return out
    row = pd.Index(values).get_indexer(hist["value"].astype(str))
    col = np.clip(hist["bin"].to_numpy(dtype=np.int64), 0, SEGMENT_SCORE_BINS - 1)
    np.add.at(out, (row, col), hist[column].fillna(0).to_numpy(dtype=float))
    return out


def _wilson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.full(len(n), np.nan), np.full(len(n), np.nan)
    for i, (kk, nn) in enumerate(zip(k, n, strict=True)):
        if nn > 0:
            ci = binomtest(int(kk), int(nn)).proportion_ci(confidence_level=LEVEL, method="wilson")
            lo[i], hi[i] = ci.low, ci.high
    return lo, hi


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _auc_intervals(auc: np.ndarray, bads: np.ndarray, goods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = float(norm.ppf(0.5 + LEVEL / 2))
    se = np.array([np.nan if not np.isfinite(a) else (auc_standard_error(float(a), int(b), int(g)) or np.nan)
                   for a, b, g in zip(auc, bads, goods, strict=True)])
    return np.clip(auc - z * se, 0.0, 1.0), np.clip(auc + z * se, 0.0, 1.0)


def _calibration(labelled: np.ndarray, bads: np.ndarray, micro: np.ndarray) -> dict[str, np.ndarray]:
    """Observed over expected bads; the interval from the bads' binomial variance under the scores
    (each matured row's score taken at its bin centre for the variance only)."""
    centres = (np.arange(SEGMENT_SCORE_BINS) + 0.5) / SEGMENT_SCORE_BINS
    expected = micro.sum(axis=1) / MICRO
    var = (labelled * centres * (1 - centres)).sum(axis=1)
    observed = bads.sum(axis=1)
    z = float(norm.ppf(0.5 + LEVEL / 2))
    half = z * np.sqrt(var)
    return {"expected_bads": expected, "calibration_ratio": _ratio(observed, expected),
            "calibration_lo": _ratio(np.maximum(observed - half, 0.0), expected),
            "calibration_hi": _ratio(observed + half, expected)}


def compute_segment_figures(hist: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per segment value and a last row ALL_VALUE for the portfolio.

    `hist`: value, bin (0..99) and the MEASURES of the window; `reference`: value, bin, n of the
    reference window (for the PSI; None or empty: no PSI)."""
    values = sorted({str(v) for v in hist["value"]}, key=group_order) if not hist.empty else []
    dense = {m: _dense(hist, values, m) for m in MEASURES}
    dense = {m: np.vstack([a, a.sum(axis=0, keepdims=True)]) for m, a in dense.items()}
    labelled, bads = dense["n_labelled"], dense["n_bad"]
    goods = labelled - bads
    metrics = compute_metrics_2d(goods, bads, [0.5] * len(labelled))
    n, decided, approved = (dense[m].sum(axis=1) for m in ("n", "n_decided", "n_approve"))
    lab, bad = labelled.sum(axis=1), bads.sum(axis=1)
    frame = pd.DataFrame({"value": [*values, ALL_VALUE], "applications": n.astype(int),
                          "share": _ratio(n, np.full(len(n), n[-1])), "decided": decided.astype(int),
                          "approved": approved.astype(int), "approval_rate": _ratio(approved, decided),
                          "labelled": lab.astype(int), "bads": bad.astype(int), "bad_rate": _ratio(bad, lab)})
    frame["approval_lo"], frame["approval_hi"] = _wilson(approved, decided)
    frame["bad_rate_lo"], frame["bad_rate_hi"] = _wilson(bad, lab)
    frame["auc"], frame["auc_bound"] = metrics["auc"], metrics["auc_bound"]
    frame["auc_lo"], frame["auc_hi"] = _auc_intervals(metrics["auc"], bad, lab - bad)
    for name, col in _calibration(labelled, bads, dense["score_micro_labelled"]).items():
        frame[name] = col
    frame["psi"] = _segment_psi(dense["n"], values, reference)
    frame["psi_status"] = [psi_status(None if not np.isfinite(p) else float(p)) for p in frame["psi"]]
    frame["small"] = lab < SMALL_SEGMENT
    return frame


def _segment_psi(current: np.ndarray, values: list[str], reference: pd.DataFrame | None) -> np.ndarray:
    out = np.full(len(current), np.nan)
    if reference is None or reference.empty:
        return out
    ref = _dense(reference[reference["value"].astype(str).isin(values)], values, "n")
    ref = np.vstack([ref, _dense(reference, sorted(set(reference["value"].astype(str))), "n").sum(axis=0)])
    for i in range(len(current)):
        value = psi(ref[i], current[i])
        out[i] = np.nan if value is None else value
    return out


def rank_failing(figures: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Segments worse than the portfolio on `metric`, ranked by the gap times their share of the
    population behind the metric (RANKED); `beyond_noise`: the portfolio's figure lies outside the
    segment's 95% interval (PSI has none: None)."""
    if metric not in RANKED:
        raise ValueError(f"unknown metric {metric!r}: one of {', '.join(RANKED)}")
    sign, population = RANKED[metric]
    whole = figures[figures["value"] == ALL_VALUE]
    parts = figures[figures["value"] != ALL_VALUE]
    cols = ["value", "metric", "figure", "portfolio", "gap", population, "weight", "weighted_gap", "beyond_noise"]
    if whole.empty or parts.empty or not np.isfinite(float(whole[metric].iloc[0])):
        return pd.DataFrame(columns=cols)
    base = float(whole[metric].iloc[0])
    values = parts[metric].to_numpy(dtype=float)
    gap = np.abs(values - base) if sign == 0 else sign * (values - base)
    weight = _ratio(parts[population].to_numpy(dtype=float), np.full(len(parts), float(whole[population].iloc[0])))
    out = pd.DataFrame({"value": parts["value"].to_numpy(), "metric": metric, "figure": values, "portfolio": base,
                        "gap": gap, population: parts[population].to_numpy(), "weight": weight,
                        "weighted_gap": gap * weight})
    lo_hi = {"auc": "auc", "bad_rate": "bad_rate", "approval_rate": "approval", "calibration_ratio": "calibration"}
    if metric in lo_hi:
        lo, hi = (parts[f"{lo_hi[metric]}_{s}"].to_numpy(dtype=float) for s in ("lo", "hi"))
        out["beyond_noise"] = [None if not np.isfinite(a) else bool(base < a or base > b) for a, b in zip(lo, hi,
                                                                                                         strict=True)]
    else:
        out["beyond_noise"] = None
    out = out[np.isfinite(out["gap"]) & (out["gap"] > 0)]
    return out.sort_values(["weighted_gap", "value"], ascending=[False, True]).reset_index(drop=True)[cols]
