"""What-if: validate edited feature values, and search the smallest actionable change
that turns a decline into an approval."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.explain.reasons import compute_value_text, excluded_names, is_missing
from dashboard.models.card import FeatureSpec, ModelCard

GRID_STEPS = 24          # candidate values per feature and direction
MAX_GREEDY_STEPS = 40    # features changed one move at a time when no single change is enough
PLAUSIBLE_QUANTILES = (0.01, 0.99)
Scorer = Callable[[pd.DataFrame], np.ndarray]


def _label(spec: FeatureSpec) -> str:
    return f"{spec.description} ({spec.name})" if spec.description else spec.name


def validate_whatif(card: ModelCard, values: Mapping[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """One row of typed values in card order, and every problem found (empty: valid).

    Numbers must parse and lie within the card's min and max; categories must be among the
    card's; empty means missing, which the model handles as it did in training.
    """
    problems: list[str] = []
    row: dict[str, Any] = {}
    known = set(card.feature_names)
    for name in values:
        if name not in known:
            problems.append(f"{name!r} is not a feature of model {card.id}")
    for spec in card.features:
        raw = values.get(spec.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()) or is_missing(raw):
            row[spec.name] = np.nan if spec.type == "numeric" else None
            continue
        if spec.type == "numeric":
            try:
                number = float(raw)
            except (TypeError, ValueError):
                problems.append(f"{_label(spec)}: {raw!r} is not a number")
                continue
            if not math.isfinite(number):
                problems.append(f"{_label(spec)}: {raw!r} is not a finite number")
                continue
            if spec.min is not None and number < spec.min:
                problems.append(f"{_label(spec)}: {number:g} is below the card's minimum {spec.min:g}")
            elif spec.max is not None and number > spec.max:
                problems.append(f"{_label(spec)}: {number:g} is above the card's maximum {spec.max:g}")
            row[spec.name] = number
        else:
            text = str(raw).strip()
            if spec.categories and text not in spec.categories:
                problems.append(f"{_label(spec)}: {text!r} is not one of {', '.join(spec.categories)}")
            row[spec.name] = text
    return pd.DataFrame([row]), problems


@dataclass(frozen=True)
class Change:
    feature: str
    before: Any
    after: Any
    text: str


@dataclass
class Counterfactual:
    found: bool
    score: float | None
    changes: list[Change] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class _Axis:
    spec: FeatureSpec
    lo: float
    hi: float
    scale: float
    integer: bool


def _axes(card: ModelCard, reference: pd.DataFrame | None, row: pd.Series) -> list[_Axis | FeatureSpec]:
    """Actionable features with their bounds: the card's range, narrowed to values seen in
    the reference data (so a suggestion stays plausible), widened to the applicant's own."""
    banned = excluded_names(card)
    axes: list[_Axis | FeatureSpec] = []
    for spec in card.features:
        if not spec.actionable or spec.name.lower() in banned:
            continue
        if spec.type != "numeric":
            if spec.categories:
                axes.append(spec)
            continue
        seen = pd.Series(dtype=float)
        if reference is not None and spec.name in reference.columns:
            seen = pd.to_numeric(reference[spec.name], errors="coerce").dropna()
        lo = spec.min if spec.min is not None else (float(seen.min()) if len(seen) else None)
        hi = spec.max if spec.max is not None else (float(seen.max()) if len(seen) else None)
        if lo is None or hi is None:
            continue
        if len(seen):
            q_lo, q_hi = seen.quantile(list(PLAUSIBLE_QUANTILES)).to_numpy(dtype=float)
            lo, hi = max(lo, q_lo), min(hi, q_hi)
        current = row.get(spec.name)
        if not is_missing(current):
            lo, hi = min(lo, float(current)), max(hi, float(current))
        spread = float(seen.quantile(0.75) - seen.quantile(0.25)) if len(seen) else 0.0
        scale = spread if spread > 0 else (float(seen.std()) if len(seen) > 1 else 0.0) or (hi - lo) or 1.0
        integer = bool(len(seen)) and bool(np.all(np.mod(seen.to_numpy(dtype=float), 1) == 0))
        axes.append(_Axis(spec, float(lo), float(hi), float(scale), integer))
    return axes


def _moves(axis: _Axis | FeatureSpec, current: Any) -> list[tuple[Any, float]]:
    """(new value, cost) candidates for one feature; cost in units of its spread."""
    if isinstance(axis, FeatureSpec):
        return [(c, 1.0) for c in axis.categories if str(c) != str(current)]
    spec = axis.spec
    if is_missing(current):
        grid = np.linspace(axis.lo, axis.hi, GRID_STEPS)
        start = float(np.median(grid))
    else:
        start = float(current)
        directions = [-1, 1] if not spec.direction else [-int(spec.direction)]
        parts = []
        for d in directions:
            end = axis.lo if d < 0 else axis.hi
            if end != start:
                parts.append(np.linspace(start, end, GRID_STEPS + 1)[1:])
        grid = np.concatenate(parts) if parts else np.array([])
    if axis.integer:
        grid = np.unique(np.round(grid))
    out = []
    for value in grid:
        if not is_missing(current) and float(value) == float(current):
            continue
        out.append((float(value), abs(float(value) - start) / axis.scale))
    return out


def _candidates(base: pd.DataFrame, axes: list[_Axis | FeatureSpec]) -> tuple[pd.DataFrame, list[tuple[str, Any, float]]]:
    rows, meta = [], []
    record = base.iloc[0]
    for axis in axes:
        name = axis.name if isinstance(axis, FeatureSpec) else axis.spec.name
        for value, cost in _moves(axis, record.get(name)):
            rows.append({**record.to_dict(), name: value})
            meta.append((name, value, cost))
    return pd.DataFrame(rows, columns=base.columns), meta


def compute_counterfactual(score: Scorer, card: ModelCard, applicant: pd.DataFrame, approve_below: float,
                           reference: pd.DataFrame | None = None) -> Counterfactual:
    """The smallest change in actionable features (cost: the sum of changes in units of
    each feature's interquartile range) that brings the score below `approve_below`.

    One feature at a time first (the cheapest change that is enough wins); if none is
    enough, greedy moves that lower the score most per unit of cost, then any change that
    is no longer needed is undone.
    """
    base = applicant.head(1).reset_index(drop=True)
    start_score = float(score(base)[0])
    if start_score < approve_below:
        return Counterfactual(True, start_score, [], "The application already scores below the approval "
                                                     f"threshold {approve_below:.3f}; no change is needed.")
    axes = _axes(card, reference, base.iloc[0])
    if not axes:
        return Counterfactual(False, start_score, [], "The model card marks no feature as actionable, so no "
                                                      "change can be suggested.")
    frame, meta = _candidates(base, axes)
    if frame.empty:
        return Counterfactual(False, start_score, [], "No actionable feature can move within its bounds.")
    scores = score(frame)
    flips = [(meta[int(i)][2], int(i)) for i in np.flatnonzero(scores < approve_below)]
    if flips:
        _, best = min(flips)
        current = frame.iloc[[best]].reset_index(drop=True)
        return _result(card, base, current, float(scores[best]), approve_below)

    current, current_score = base.copy(), start_score
    for _ in range(MAX_GREEDY_STEPS):
        frame, meta = _candidates(current, axes)
        if frame.empty:
            break
        scores = score(frame)
        costs = np.asarray([m[2] for m in meta], dtype=float)
        crossing = np.flatnonzero(scores < approve_below)
        if crossing.size:  # the cheapest move that is enough ends the search
            best = int(crossing[np.argmin(costs[crossing])])
        else:
            best = int(np.argmax((current_score - scores) / np.maximum(costs, 1e-6)))
        if scores[best] >= current_score:
            break
        current, current_score = frame.iloc[[best]].reset_index(drop=True), float(scores[best])
        if current_score < approve_below:
            current, current_score = _undo_unneeded(score, base, current, current_score, approve_below)
            return _result(card, base, current, current_score, approve_below)
    return Counterfactual(False, current_score, [],
                          "No change to the actionable features within the card's bounds and the range "
                          "seen in the reference data brings this application below the approval "
                          f"threshold {approve_below:.3f} (lowest score reached {current_score:.3f}).")


def _undo_unneeded(score: Scorer, base: pd.DataFrame, current: pd.DataFrame, current_score: float,
                   approve_below: float) -> tuple[pd.DataFrame, float]:
    for name in base.columns:
        before, after = base.at[0, name], current.at[0, name]
        if _same(before, after):
            continue
        trial = current.copy()
        trial.at[0, name] = before
        trial_score = float(score(trial)[0])
        if trial_score < approve_below:
            current, current_score = trial, trial_score
    return current, current_score


def _same(a: Any, b: Any) -> bool:
    if is_missing(a) and is_missing(b):
        return True
    return bool(a == b)


def _result(card: ModelCard, base: pd.DataFrame, current: pd.DataFrame, new_score: float,
            approve_below: float) -> Counterfactual:
    changes = []
    for spec in card.features:
        before, after = base.at[0, spec.name], current.at[0, spec.name]
        if _same(before, after):
            continue
        move = f"{compute_value_text(spec, before)} → {compute_value_text(spec, after)}"
        template = spec.reason_template if "{value}" in spec.reason_template else ""
        text = template.replace("{value}", move) if template else f"{spec.description or spec.name}: {move}"
        changes.append(Change(spec.name, before, after, text))
    message = (f"With {'these changes' if len(changes) > 1 else 'this change'} the model scores "
               f"{new_score:.3f}, below the approval threshold {approve_below:.3f}.")
    return Counterfactual(True, new_score, changes, message)
