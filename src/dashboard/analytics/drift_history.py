"""Drift over time: each feature's PSI per period against the reference, and when a run of
flags began (the onset of a shift, and since when a concept-drift flag holds)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.drift_thresholds import DEFAULT_THRESHOLDS, DriftThresholds
from dashboard.analytics.feature_drift import bin_count, bin_vectors
from dashboard.analytics.histogram import PSI_EPS
from dashboard.analytics.performance import as_datetime


def decile_groups(ref_fine: np.ndarray, groups: int = 10) -> np.ndarray:
    """Group index per fine bin, as `histogram.decile_psi` merges them (a tenth of the reference each)."""
    r = np.asarray(ref_fine, dtype=float)
    cum = np.cumsum(r) / r.sum()
    group = np.minimum((cum * groups - 1e-9).astype(int), groups - 1)
    return np.maximum.accumulate(group)


def psi_rows(ref: np.ndarray, cur: np.ndarray, eps: float = PSI_EPS) -> np.ndarray:
    """`histogram.psi` of one reference vector against each row of `cur` (NaN for empty rows)."""
    pr = np.maximum(ref / ref.sum(), eps)
    pr = pr / pr.sum()
    totals = cur.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pc = np.maximum(cur / np.where(totals > 0, totals, 1), eps)
        pc = pc / pc.sum(axis=1, keepdims=True)
        out: np.ndarray = np.sum((pc - pr) * np.log(pc / pr), axis=1)
    out[totals[:, 0] == 0] = np.nan
    return out


def compute_psi_by_period(ref_hist: pd.DataFrame, period_hist: pd.DataFrame, bins: Mapping[str, Any],
                          features: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """PSI of every feature in every period against the reference: feature, period, psi, n.

    Vectorized over periods (same numbers as `decile_psi` / `psi` per period).
    """
    cols = {"feature": pd.Series(dtype=str), "period": pd.Series(dtype="datetime64[ns]"),
            "psi": pd.Series(dtype=float), "n": pd.Series(dtype=np.int64)}
    if period_hist.empty or ref_hist.empty:
        return pd.DataFrame(cols)
    periods = np.sort(as_datetime(period_hist["period"]).unique())
    p_index = pd.Index(periods)
    ref_groups = dict(tuple(ref_hist.groupby("feature")))
    out = []
    for name, part in period_hist.groupby("feature", sort=True):
        ftype = dict(features).get(str(name))
        spec = bins.get(str(name))
        if ftype is None or spec is None or name not in ref_groups:
            continue
        size = bin_count(spec)
        ref, _, _, _ = bin_vectors(ref_groups[name], ref_groups[name].iloc[0:0], spec)
        if ref.sum() == 0:
            continue
        rows = p_index.get_indexer(as_datetime(part["period"]))
        b = part["bin"].to_numpy(dtype=np.int64)
        n = part["n"].to_numpy(dtype=float)
        total = np.zeros(len(periods))
        np.add.at(total, rows, n)
        ok = (b >= 0) & (b < size)
        mat = np.zeros((len(periods), size))
        np.add.at(mat, (rows[ok], b[ok]), n[ok])
        if ftype == "numeric":
            grp = decile_groups(ref)
            r = np.bincount(grp, weights=ref, minlength=10)
            c = np.zeros((len(periods), 10))
            np.add.at(c.T, grp, mat.T)
            keep = r > 0
            values = psi_rows(r[keep], c[:, keep])
        else:
            values = psi_rows(ref, mat)
        present = total > 0
        out.append(pd.DataFrame({"feature": str(name), "period": periods[present], "psi": values[present],
                                 "n": total[present].astype(np.int64)}))
    if not out:
        return pd.DataFrame(cols)
    return pd.concat(out, ignore_index=True)


def run_start(flags: pd.Series) -> Any | None:
    """Index label where the final run of True values begins (None when the last is False)."""
    values = flags.to_numpy(dtype=bool)
    if values.size == 0 or not values[-1]:
        return None
    i = values.size - 1
    while i > 0 and values[i - 1]:
        i -= 1
    return flags.index[i]


def first_flag(flags: pd.Series) -> Any | None:
    hit = flags[flags.to_numpy(dtype=bool)]
    return hit.index[0] if not hit.empty else None


def compute_shift_onsets(period_psi: pd.DataFrame, thresholds: DriftThresholds = DEFAULT_THRESHOLDS,
                         level: float | None = None) -> dict[str, pd.Timestamp]:
    """Per feature shifted now: the period its current run above the threshold began."""
    limit = thresholds.psi_shift if level is None else level
    out: dict[str, pd.Timestamp] = {}
    if period_psi.empty:
        return out
    for name, part in period_psi.groupby("feature"):
        series = part.set_index("period")["psi"].sort_index().fillna(0.0) > limit
        start = run_start(series)
        if start is not None:
            out[str(name)] = pd.Timestamp(start)
    return out
