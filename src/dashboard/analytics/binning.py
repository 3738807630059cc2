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
# Numeric features: bins are also cut into sub-bins (`sub`): wide body bins into equal parts, and
# beyond the outermost reference edges geometric tail sub-bins, so a heavy tail keeps its shape
# in the rollup; each (bin, sub) keeps the sum of its rows' positions inside it, so the
# Wasserstein distance needs no guess where the rows sit (see `histogram.wasserstein_from_bin_moments`).
TAIL_RATIO = 1.1         # each tail sub-bin is 1.1 times as wide as the one before
TAIL_BINS = 370          # sub-bins per tail: 1.1**370 (2e15) mean body bin widths beyond the edge
POSITION_UNITS = 2**8    # a row's position in its (sub-)bin, in 1/256ths of the bin's width
# Latency: 200 log-spaced bins per decade from 1 microsecond, numbered from LATENCY_BIN_BASE + 1
# (LATENCY_BIN_BASE itself holds latencies under 1 microsecond, zero included). A percentile read
# from them lies within one bin width (1.16%) of the raw rows' one. Bin numbers below the base are
# the 20-per-decade bins (from 0.1 ms) of rollups written before: still read, with their bound.
LATENCY_BINS_PER_DECADE = 200
LATENCY_MIN_EXP = -3     # 1 microsecond
LATENCY_MAX_MS = 1e7
LATENCY_BIN_BASE = 10_000
OLD_LATENCY_BINS_PER_DECADE = 20
OLD_LATENCY_MIN_EXP = -1


def score_bin(scores: np.ndarray, bins: int = SCORE_BINS) -> np.ndarray:
    return np.minimum(np.floor(np.asarray(scores, dtype=float) * bins), bins - 1).astype(np.int16)


def score_bin_edges(bins: int = SCORE_BINS) -> np.ndarray:
    return np.linspace(0.0, 1.0, bins + 1)


def latency_bin(latency_ms: np.ndarray) -> np.ndarray:
    """Latency bin per value (see LATENCY_BINS_PER_DECADE); values over 1e7 ms share the last bin."""
    lat = np.asarray(latency_ms, dtype=float)
    tiny = ~(lat >= 10.0**LATENCY_MIN_EXP)  # NaN too: callers drop missing latencies first
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.floor((np.log10(np.minimum(lat, LATENCY_MAX_MS)) - LATENCY_MIN_EXP) * LATENCY_BINS_PER_DECADE)
    return np.where(tiny, LATENCY_BIN_BASE, LATENCY_BIN_BASE + 1 + np.where(tiny, 0.0, steps)).astype(np.int32)


def latency_bin_bounds(bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edge (ms) of each latency bin, of either numbering (see LATENCY_BIN_BASE)."""
    b = np.asarray(bins, dtype=np.int64)
    fine = b >= LATENCY_BIN_BASE
    step = np.where(fine, b - LATENCY_BIN_BASE - 1, b).astype(float)
    per = np.where(fine, LATENCY_BINS_PER_DECADE, OLD_LATENCY_BINS_PER_DECADE)
    first = np.where(fine, LATENCY_MIN_EXP, OLD_LATENCY_MIN_EXP)
    zero = b == LATENCY_BIN_BASE
    lo = np.where(zero, 0.0, 10.0 ** (step / per + first))
    hi = np.where(zero, 10.0**LATENCY_MIN_EXP, 10.0 ** ((step + 1) / per + first))
    return lo, hi


def latency_bin_value(bins: np.ndarray) -> np.ndarray:
    """A representative latency (ms) per bin: its geometric middle, within 0.6% of any latency in
    the bin (6% in the coarse bins of a rollup written before)."""
    lo, hi = latency_bin_bounds(bins)
    return np.where(lo > 0, np.sqrt(lo * hi), hi / 2)


def coarsen_latency_bins(bins: np.ndarray) -> np.ndarray:
    """Any latency bins in the coarse numbering of rollups written before (exact: a coarse bin is
    ten whole fine bins)."""
    b = np.asarray(bins, dtype=np.int64)
    per = LATENCY_BINS_PER_DECADE // OLD_LATENCY_BINS_PER_DECADE
    shift = (OLD_LATENCY_MIN_EXP - LATENCY_MIN_EXP) * OLD_LATENCY_BINS_PER_DECADE
    coarse = np.maximum((b - LATENCY_BIN_BASE - 1) // per - shift, 0)
    return np.where(b >= LATENCY_BIN_BASE, coarse, b)


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


def _feature_scale(edges: np.ndarray) -> float:
    """The mean width of the body's bins (a width to measure tails in when there is no body)."""
    if edges.size >= 2 and edges[-1] > edges[0]:
        return float(edges[-1] - edges[0]) / (edges.size - 1)
    if edges.size:
        return abs(float(edges[0])) or 1.0
    return 1.0


def feature_tail_offsets(spec: Mapping[str, Any]) -> np.ndarray:
    """Distances from the outer reference edge where the tail sub-bins start (0 first).

    Sub-bin j of a tail holds the values at distance [t_j, t_j+1) from the edge, where
    t_j = s x (1.1**j - 1) and s is the mean width of the body's bins. The powers are built by
    repeated multiplication (exact IEEE products), so any engine that rebuilds the rollups gets
    the same floats.
    """
    scale = _feature_scale(np.asarray(spec.get("edges") or [], dtype=float))
    powers = np.empty(TAIL_BINS + 1)
    p = 1.0
    for j in range(TAIL_BINS + 1):
        powers[j] = p
        p *= TAIL_RATIO
    return scale * (powers - 1.0)


def feature_subbin_counts(spec: Mapping[str, Any]) -> np.ndarray:
    """Sub-bins of each bin index -1 (missing), 0, 1, ..., of a feature.

    Numeric: a body bin wider than the body's mean width s is cut into ceil(width / s) equal
    parts (so all the body's parts number at most twice its bins); each tail has TAIL_BINS + 1.
    Categorical: one each.
    """
    if spec["type"] != "numeric":
        return np.ones(len(spec["categories"]) + 2, dtype=np.int64)
    edges = np.asarray(spec.get("edges") or [], dtype=float)
    if edges.size == 0:
        return np.ones(2, dtype=np.int64)
    body = np.maximum(np.ceil(np.diff(edges) / _feature_scale(edges)), 1).astype(np.int64)
    return np.concatenate([[1, TAIL_BINS + 1], body, [TAIL_BINS + 1]]).astype(np.int64)


def feature_bin_intervals(spec: Mapping[str, Any], bins: np.ndarray,
                          subs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) of each numeric (bin, sub-bin): parts of body bins between reference edges, tail
    sub-bins beyond them.

    The last sub-bin of a tail is open; it is given the width it would have (values that far
    out, 2e15 bin widths, have their position clipped to it). NaN without reference edges.
    """
    edges = np.asarray(spec.get("edges") or [], dtype=float)
    b = np.asarray(bins, dtype=np.int64)
    t = np.clip(np.asarray(subs, dtype=np.int64), 0, TAIL_BINS)
    if edges.size == 0:
        return np.full(b.shape, np.nan), np.full(b.shape, np.nan)
    offsets = feature_tail_offsets(spec)
    offsets_far = np.append(offsets[1:], offsets[-1] * TAIL_RATIO + offsets[1])
    near, far = offsets[t], offsets_far[t]
    k = edges.size
    parts = feature_subbin_counts(spec)[np.clip(b, 0, k) + 1]
    inner_lo = edges[np.clip(b - 1, 0, k - 1)]
    inner_hi = edges[np.clip(b, 0, k - 1)]
    width = inner_hi - inner_lo
    part_lo = inner_lo + width * t / parts
    part_hi = np.where(t + 1 >= parts, inner_hi, inner_lo + width * (t + 1) / parts)
    lo = np.where(b == 0, edges[0] - far, np.where(b == k, edges[-1] + near, part_lo))
    hi = np.where(b == 0, edges[0] - near, np.where(b == k, edges[-1] + far, part_hi))
    return lo, hi


def assign_feature_positions(values: np.ndarray,
                             spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin, sub-bin and position of each numeric value, as the features rollup keeps them.

    bin: as `assign_feature_bins`; sub: the part of a body bin (`feature_subbin_counts`), or
    beyond the outer edges the tail sub-bin of `feature_tail_offsets` (0 the nearest the edge);
    position: where the value sits in its sub-bin, (x - lo) / (hi - lo) in units of
    1/POSITION_UNITS, rounded half up (floor(v + 0.5)), clipped to [0, POSITION_UNITS]. Integers,
    so the rollup's sums are exact and do not depend on the order of the rows. Missing values:
    NULL_BIN, sub-bin 0, position 0.
    """
    x = np.asarray(values, dtype=float)
    edges = np.asarray(spec.get("edges") or [], dtype=float)
    bins = np.searchsorted(edges, x, side="right").astype(np.int32)
    missing = np.isnan(x)
    bins[missing] = NULL_BIN
    subs = np.zeros(x.shape, dtype=np.int16)
    if edges.size == 0:
        return bins, subs, np.zeros(x.shape, dtype=np.int64)
    k = edges.size
    low, high = bins == 0, bins == k
    outer = (low | high) & ~missing
    inner = ~(low | high) & ~missing
    dist = np.where(low, edges[0] - x, x - edges[-1])
    subs[outer] = np.searchsorted(feature_tail_offsets(spec), dist[outer], side="right") - 1
    b = bins[inner].astype(np.int64)
    parts = feature_subbin_counts(spec)[b + 1]
    share = (x[inner] - edges[b - 1]) / (edges[b] - edges[b - 1])
    subs[inner] = np.clip(np.floor(share * parts), 0, parts - 1)
    lo, hi = feature_bin_intervals(spec, bins, subs)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    pos = np.floor(frac * POSITION_UNITS + 0.5)
    pos[missing] = 0
    return bins, subs, pos.astype(np.int64)


def feature_cell_starts(spec: Mapping[str, Any]) -> np.ndarray:
    """First dense code of each bin index -1, 0, 1, ... (and the total last): code = start + sub.

    One code per (bin, sub-bin) of a feature, so rows can be counted with a bincount."""
    return np.concatenate([[0], np.cumsum(feature_subbin_counts(spec))]).astype(np.int64)


def feature_cells(spec: Mapping[str, Any], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (bin, sub-bin) of each dense code of `feature_cell_starts`."""
    starts = feature_cell_starts(spec)
    owner = np.searchsorted(starts, np.asarray(codes, dtype=np.int64), side="right") - 1
    return owner - 1, np.asarray(codes, dtype=np.int64) - starts[owner]


def compute_feature_histogram(values: pd.Series | np.ndarray, spec: Mapping[str, Any]) -> pd.DataFrame:
    """bin, sub, n, pos_sum of one feature's values: what the features rollup keeps for a set of rows."""
    if spec["type"] != "numeric":
        bins = assign_feature_bins(values, spec)
        subs, pos = np.zeros(len(bins), dtype=np.int64), np.zeros(len(bins), dtype=np.int64)
    else:
        num = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        bins, subs, pos = assign_feature_positions(num, spec)
    starts = feature_cell_starts(spec)
    code = starts[bins.astype(np.int64) + 1] + subs.astype(np.int64)
    n = np.bincount(code, minlength=int(starts[-1]))
    pos_sum = np.bincount(code, weights=pos.astype(np.float64), minlength=int(starts[-1]))
    present = np.flatnonzero(n)
    cell_bin, cell_sub = feature_cells(spec, present)
    return pd.DataFrame({"bin": cell_bin, "sub": cell_sub, "n": n[present].astype(np.int64),
                         "pos_sum": pos_sum[present].astype(np.int64)})
