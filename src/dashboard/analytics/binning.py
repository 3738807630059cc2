"""Reference bins for features and fixed bins for scores, shared by rollups and analytics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dashboard.models.card import ModelCard

SCORE_BINS = 1000        # fixed equal-width bins of the score on [0, 1]
GROUP_SCORE_BINS = 100   # coarser score bins for the per-group (fairness) rollup
FEATURE_BINS = 100       # reference-quantile bins per numeric feature
NULL_BIN = -1
LATENCY_BINS_PER_DECADE = 20
LATENCY_MIN_EXP = -1     # 0.1 ms


def score_bin(scores: np.ndarray, bins: int = SCORE_BINS) -> np.ndarray:
    return np.minimum(np.floor(np.asarray(scores, dtype=float) * bins), bins - 1).astype(np.int16)


def score_bin_edges(bins: int = SCORE_BINS) -> np.ndarray:
    return np.linspace(0.0, 1.0, bins + 1)


def latency_bin(latency_ms: np.ndarray) -> np.ndarray:
    lat = np.clip(np.asarray(latency_ms, dtype=float), 10.0**LATENCY_MIN_EXP, 1e7)
    return np.floor((np.log10(lat) - LATENCY_MIN_EXP) * LATENCY_BINS_PER_DECADE).astype(np.int32)


def latency_bin_upper(bins: np.ndarray) -> np.ndarray:
    """Upper edge (ms) of each latency bin, for conservative percentiles."""
    return np.asarray(10.0 ** ((np.asarray(bins) + 1) / LATENCY_BINS_PER_DECADE + LATENCY_MIN_EXP))


def compute_reference_bins(frame: pd.DataFrame, card: ModelCard, bins: int = FEATURE_BINS) -> dict[str, Any]:
    """Quantile edges for numeric features and category lists for categorical ones.

    Numeric bin i holds edges[i-1] <= x < edges[i]; bin 0 is below the first edge and the
    last bin at or above the last one, so unseen extremes still land somewhere.
    """
    out: dict[str, Any] = {}
    for spec in card.features:
        if spec.name not in frame.columns:
            continue
        col = frame[spec.name]
        if spec.type == "numeric":
            values = pd.to_numeric(col, errors="coerce").dropna().to_numpy(dtype=float)
            if values.size == 0:
                out[spec.name] = {"type": "numeric", "edges": [], "min": None, "max": None}
                continue
            qs = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
            edges = np.unique(qs)
            out[spec.name] = {"type": "numeric", "edges": [float(e) for e in edges],
                              "min": float(values.min()), "max": float(values.max())}
        else:
            cats = sorted({str(v) for v in col.dropna().tolist()} | set(spec.categories))
            out[spec.name] = {"type": "categorical", "categories": cats}
    return out


def assign_feature_bins(values: pd.Series | np.ndarray, spec: Mapping[str, Any]) -> np.ndarray:
    """Bin index per value; NULL_BIN for missing; unseen categories get len(categories)."""
    series = pd.Series(values)
    if spec["type"] == "numeric":
        num = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        idx = np.searchsorted(np.asarray(spec["edges"], dtype=float), num, side="right").astype(np.int32)
        idx[np.isnan(num)] = NULL_BIN
        return idx
    cats = list(spec["categories"])
    present = series.notna().to_numpy()
    if not (series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")):
        series = series.astype(object).where(present, None).map(lambda v: None if v is None else str(v))
    idx = pd.Categorical(series, categories=cats).codes.astype(np.int32)
    idx[(idx == -1) & present] = len(cats)
    idx[~present] = NULL_BIN
    return idx


def feature_bin_labels(spec: Mapping[str, Any]) -> list[str]:
    """Readable label per bin index 0..n-1 (missing is labelled separately)."""
    if spec["type"] == "numeric":
        edges = list(spec["edges"])
        if not edges:
            return ["all"]
        labels = [f"< {edges[0]:.4g}"]
        labels += [f"[{a:.4g}, {b:.4g})" for a, b in zip(edges[:-1], edges[1:], strict=False)]
        labels.append(f">= {edges[-1]:.4g}")
        return labels
    return [*spec["categories"], "(unseen)"]


def feature_bin_centers(spec: Mapping[str, Any]) -> np.ndarray:
    """A representative value per numeric bin (midpoints; reference min/max at the ends)."""
    edges = np.asarray(spec["edges"], dtype=float)
    if edges.size == 0:
        return np.array([spec.get("min") or 0.0])
    lo = spec.get("min") if spec.get("min") is not None else edges[0]
    hi = spec.get("max") if spec.get("max") is not None else edges[-1]
    bounds = np.concatenate([[min(lo, edges[0])], edges, [max(hi, edges[-1])]])
    return (bounds[:-1] + bounds[1:]) / 2
