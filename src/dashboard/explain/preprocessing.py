"""A model's preprocessing: a Pipeline split into its preprocessing and final estimator, its
outputs as dense matrices, and which raw feature feeds which transformed column (found by
probing the transform with changed raw columns)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from dashboard.models.card import ModelCard

GROUP_ROWS = 60          # sample rows per variant when finding column groups

log = logging.getLogger(__name__)


def to_dense(matrix: Any) -> np.ndarray:
    """A transform's output (sparse, frame or array) as a float array."""
    if sparse.issparse(matrix):
        return np.asarray(matrix.toarray(), dtype=float)
    if isinstance(matrix, pd.DataFrame):
        return np.asarray(matrix.to_numpy(dtype=float), dtype=float)
    return np.asarray(matrix, dtype=float)


def split_pipeline(model: Any) -> tuple[Any | None, Any]:
    """(preprocessing or None, final estimator) of an sklearn Pipeline; (None, model) otherwise."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and len(steps) > 1:
        return model[:-1], steps[-1][1]
    if isinstance(steps, list) and steps:
        return None, steps[-1][1]
    return None, model


def _output_names(transform: Any, width: int) -> list[str]:
    try:
        names = [str(n) for n in transform.get_feature_names_out()]
        if len(names) == width:
            return names
    except Exception as exc:  # noqa: BLE001  (many transformers cannot name their outputs)
        log.debug("the transform cannot name its outputs (%s): numbering them", exc)
    return [f"x{i}" for i in range(width)]


def _variants(sample: pd.DataFrame, col: str, card: ModelCard) -> list[pd.Series]:
    """Replacement columns that move every output column fed by `col`."""
    series = sample[col]
    out = [pd.Series(np.roll(series.to_numpy(), 1), index=series.index),
           pd.Series(np.roll(series.to_numpy(), len(series) // 2), index=series.index),
           pd.Series(np.nan, index=series.index, dtype=series.dtype if series.dtype == object else float)]
    if series.dtype == object:
        cats = {str(v) for v in series.dropna()}
        if col in card.feature_names:
            cats |= set(card.feature(col).categories)
        out += [pd.Series(c, index=series.index, dtype=object) for c in sorted(cats)]
    return out


def compute_group_weights(transform: Any, sample: pd.DataFrame, raw: list[str],
                          card: ModelCard) -> tuple[np.ndarray, list[str]]:
    """A (transformed column x raw feature) matrix whose rows sum to 1, and column names.

    A transformed column belongs to the raw features whose change moves it (found by
    swapping, blanking and recoding one raw column at a time on a sample); columns that
    never moved are matched by name, and only then spread evenly.
    """
    sample = sample.head(GROUP_ROWS).reset_index(drop=True)
    base = to_dense(transform.transform(sample))
    width = base.shape[1]
    names = _output_names(transform, width)
    depends = np.zeros((width, len(raw)), dtype=bool)
    trials, owners = [], []
    for j, col in enumerate(raw):
        for variant in _variants(sample, col, card):
            trial = sample.copy()
            trial[col] = variant
            trials.append(trial)
            owners.append(j)
    moved = None
    # One transform call for every variant (tens of calls would cost seconds); a transformer
    # refusing one variant (e.g. NaN) makes it fall back to one variant at a time.
    with contextlib.suppress(Exception):
        moved = to_dense(transform.transform(pd.concat(trials, ignore_index=True)))
    for k, (trial, j) in enumerate(zip(trials, owners, strict=True)):
        if moved is not None:
            block = moved[k * len(sample):(k + 1) * len(sample)]
        else:
            try:
                block = to_dense(transform.transform(trial))
            except Exception as exc:  # noqa: BLE001  (the user's transform may refuse a variant: it tells nothing)
                log.debug("variant %d of the dependency probe refused (%s)", k, exc)
                continue
        if block.shape != base.shape:
            continue
        depends[:, j] |= ~np.isclose(block, base, equal_nan=True).all(axis=0)
    for i in np.flatnonzero(~depends.any(axis=1)):
        short = names[i].split("__", 1)[-1]
        hits = [j for j, col in enumerate(raw) if col in short]
        if hits:
            depends[i, max(hits, key=lambda j: len(raw[j]))] = True
        else:
            depends[i, :] = True
    weights = depends.astype(float)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights, names
