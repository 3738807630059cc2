"""Protected groups and the adverse impact ratio: one rule for every page and report.

A protected attribute becomes groups in one of two ways, fixed per model when the attribute is
first seen (so rollups stay comparable):
- categorical: one group per logged value;
- bands: a numeric attribute (age in years, say) grouped by band edges, declared in the card
  (`protected_attributes: [{name: age, bands: [25, 35, 45, 55, 65]}]`), else the default age
  bands for an attribute named like age, else the quintiles of the first values seen.
Missing (or, for bands, non-numeric) values form the group "(missing)".

The adverse impact ratio of an attribute is the lowest group approval rate over the highest,
among groups with at least `min_group_size` decided applications; smaller groups and "(missing)"
are listed as left out and never enter a ratio. The headline figure is the lowest ratio over attributes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.models.card import parse_band_edges

FOUR_FIFTHS = 0.8
MISSING_GROUP = "(missing)"
DEFAULT_AGE_BANDS = (25.0, 35.0, 45.0, 55.0, 65.0)
NUMERIC_SHARE = 0.95        # share of non-missing values that must parse as numbers ...
MIN_DISTINCT_NUMERIC = 10   # ... and distinct values needed, for an undeclared attribute to be banded
QUANTILE_BANDS = 5
CATEGORICAL, BANDS = "categorical", "bands"
SOURCE_DECLARED = "bands declared in the model card"
SOURCE_AGE = "the default age bands"
SOURCE_QUANTILES = "quintiles of the first values seen"
SOURCE_VALUES = "one group per value"
_AGE_RE = re.compile(r"(^|[_\s])age($|[_\s])", re.IGNORECASE)


@dataclass(frozen=True)
class GroupSpec:
    """How one protected attribute becomes groups."""

    attribute: str
    kind: str                       # CATEGORICAL or BANDS
    edges: tuple[float, ...] = ()   # BANDS: increasing edges; band i holds edges[i-1] <= x < edges[i]
    source: str = SOURCE_VALUES

    def labels(self) -> list[str]:
        """The band labels in order (empty for a categorical attribute)."""
        return band_labels(self.edges) if self.kind == BANDS else []

    def describe(self) -> str:
        if self.kind != BANDS:
            return f"{self.attribute}: {SOURCE_VALUES}"
        return f"{self.attribute}: bands {', '.join(self.labels())} ({self.source})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "edges": list(self.edges), "source": self.source}

    @classmethod
    def from_dict(cls, attribute: str, data: Mapping[str, Any]) -> GroupSpec:
        return cls(attribute, str(data.get("kind", CATEGORICAL)),
                   tuple(float(e) for e in data.get("edges") or ()), str(data.get("source", SOURCE_VALUES)))


def _edge_text(value: float) -> str:
    return f"{value:,.10g}" if abs(value) >= 10_000 else f"{value:.10g}"


def band_labels(edges: Sequence[float]) -> list[str]:
    """'under 25', '25 to under 35', ..., '65 and over' (the lower edge belongs to its band)."""
    if not edges:
        return ["all"]
    text = [_edge_text(e) for e in edges]
    return [f"under {text[0]}", *(f"{a} to under {b}" for a, b in zip(text, text[1:], strict=False)),
            f"{text[-1]} and over"]


def is_age_like(name: str) -> bool:
    return bool(_AGE_RE.search(name))


def _round_sig(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def compute_group_spec(attribute: str, values: pd.Series | None,
                       declared: Sequence[float] | None = None) -> GroupSpec:
    """The grouping of an attribute: declared bands, else banded when its values are numeric."""
    if declared:
        return GroupSpec(attribute, BANDS, parse_band_edges(list(declared), f"bands of {attribute}"),
                         SOURCE_DECLARED)
    if values is None:
        return GroupSpec(attribute, CATEGORICAL)
    present = values.dropna()
    present = present[present.astype(str).str.strip() != ""]
    numbers = pd.to_numeric(present, errors="coerce").dropna()
    numbers = numbers[np.isfinite(numbers.to_numpy(dtype=float))]
    if (present.empty or len(numbers) < NUMERIC_SHARE * len(present)
            or numbers.nunique() <= MIN_DISTINCT_NUMERIC):
        return GroupSpec(attribute, CATEGORICAL)
    if is_age_like(attribute):
        return GroupSpec(attribute, BANDS, DEFAULT_AGE_BANDS, SOURCE_AGE)
    qs = np.quantile(numbers.to_numpy(dtype=float), np.linspace(0, 1, QUANTILE_BANDS + 1)[1:-1])
    edges = tuple(sorted({_round_sig(float(q)) for q in qs}))
    return GroupSpec(attribute, BANDS, edges, SOURCE_QUANTILES)


def assign_groups(values: pd.Series, spec: GroupSpec) -> np.ndarray:
    """The group label of each value (object array); what the rollups store, row by row."""
    if spec.kind != BANDS:
        text = values.astype(object).where(values.notna(), None)
        return np.asarray([MISSING_GROUP if v is None else str(v) for v in text], dtype=object)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    labels = np.asarray(spec.labels(), dtype=object)
    idx = np.searchsorted(np.asarray(spec.edges, dtype=float), numbers, side="right")
    out: np.ndarray = labels[np.clip(idx, 0, len(labels) - 1)]
    out[~np.isfinite(numbers)] = MISSING_GROUP
    return out


def group_order(label: str) -> tuple[int, float, str]:
    """Sort key: bands by their lower edge, other groups by name, "(missing)" last."""
    if label == MISSING_GROUP:
        return (2, 0.0, label)
    text = label.replace(",", "")
    if m := re.fullmatch(r"under (-?[\d.e+-]+)", text):
        return (0, -math.inf, label)
    if m := re.fullmatch(r"(-?[\d.e+-]+) (?:to under -?[\d.e+-]+|and over)", text):
        try:
            return (0, float(m.group(1)), label)
        except ValueError:
            pass
    return (1, 0.0, label)


# ---------------------------------------------------------------------------- the ratio
RATE_COLUMNS = ["attribute", "group", "decided", "approved", "approval_rate", "adverse_impact_ratio",
                "four_fifths_ok", "counted"]


def compute_group_rates(counts: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """Per attribute and group: decided, approved, approval rate and adverse impact ratio.

    `counts` columns: attribute, group, decided, approved (counts may be expected, i.e. floats).
    `counted` is False for groups below `min_group_size`: they keep their approval rate but get
    no ratio and do not set the best rate.
    """
    if counts.empty:
        return pd.DataFrame(columns=RATE_COLUMNS)
    frame = counts[["attribute", "group", "decided", "approved"]].copy()
    frame["group"] = frame["group"].astype(str)
    frame = frame.groupby(["attribute", "group"], as_index=False, sort=False)[["decided", "approved"]].sum()
    decided = frame["decided"].to_numpy(dtype=float)
    approved = frame["approved"].to_numpy(dtype=float)
    frame["approval_rate"] = np.where(decided > 0, approved / np.where(decided > 0, decided, 1.0), np.nan)
    # A group of 29.6 expected applications is below 30: no rounding up into a ratio. Unknown
    # values are not a protected group: shown, never compared.
    frame["counted"] = (decided >= min_group_size) & (frame["group"] != MISSING_GROUP).to_numpy()
    best = frame[frame["counted"]].groupby("attribute")["approval_rate"].max()
    top = frame["attribute"].map(best).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(frame["counted"] & (top > 0), frame["approval_rate"] / top, np.nan)
    frame["adverse_impact_ratio"] = ratio
    frame["four_fifths_ok"] = [None if np.isnan(r) else bool(r >= FOUR_FIFTHS) for r in ratio]
    frame["_key"] = [group_order(g) for g in frame["group"]]
    frame = frame.sort_values(["attribute", "_key"]).drop(columns="_key").reset_index(drop=True)
    return frame[RATE_COLUMNS]


@dataclass(frozen=True)
class AdverseImpact:
    """The headline ratio, the attribute it comes from, and why it is missing when it is."""

    value: float | None
    attribute: str | None
    group: str | None                     # the least approved counted group of that attribute
    reason: str                           # empty when `value` is set
    left_out: dict[str, str]              # "attribute=group" -> "rate of n" for groups below the minimum
    rates: dict[str, str]                 # "attribute=group" -> "rate of n" for counted groups


def compute_adverse_impact(rates: pd.DataFrame, min_group_size: int) -> AdverseImpact:
    """The lowest adverse impact ratio over attributes, from `compute_group_rates`' table."""
    counted: dict[str, str] = {}
    left_out: dict[str, str] = {}
    for row in rates.itertuples(index=False):
        if row.decided > 0:
            text = f"{row.approval_rate:.1%} of {row.decided:,.0f}"
            (counted if row.counted else left_out)[f"{row.attribute}={row.group}"] = text
    if rates.empty:
        return AdverseImpact(None, None, None, "no protected attribute is logged for this window",
                             left_out, counted)
    worst: tuple[float, str, str] | None = None
    for attribute, part in rates.groupby("attribute", sort=True):
        valid = part.dropna(subset=["adverse_impact_ratio"])
        if len(valid) < 2:
            continue
        low = valid.loc[valid["adverse_impact_ratio"].astype(float).idxmin()]
        value = float(low["adverse_impact_ratio"])
        if worst is None or value < worst[0]:
            worst = (value, str(attribute), str(low["group"]))
    if worst is None:
        return AdverseImpact(None, None, None,
                             f"fewer than two groups with at least {min_group_size} decided applications "
                             "(or none approved) for every protected attribute", left_out, counted)
    return AdverseImpact(worst[0], worst[1], worst[2], "", left_out, counted)


def count_groups(groups: pd.Series | np.ndarray, approved: np.ndarray, attribute: str) -> pd.DataFrame:
    """Row-level decisions to the counts `compute_group_rates` takes (one attribute)."""
    labels = pd.Series(groups, dtype=object).where(pd.notna(pd.Series(groups, dtype=object)), MISSING_GROUP)
    labels = labels.astype(str).to_numpy(dtype=object)
    ok = np.asarray(approved, dtype=bool)
    frame = pd.DataFrame({"group": labels, "approved": ok.astype(int)})
    agg = frame.groupby("group", sort=False).agg(decided=("approved", "size"), approved=("approved", "sum"))
    return agg.reset_index().assign(attribute=attribute)[["attribute", "group", "decided", "approved"]]
