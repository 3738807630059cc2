"""Data drift of each feature between two windows, from their histograms.

Feature histograms are counts per reference bin (numeric: 100 reference-quantile bins;
categorical: one bin per category plus "unseen"; bin -1 = missing). Distribution
statistics compare the non-missing values; the missing share is compared on its own.
PSI follows the credit convention on 10 reference deciles merged from the fine bins.
Numeric rows may also carry `sub` (parts of wide bins, and sub-bins beyond the outer edges) and
`pos_sum` (where the rows sit inside their sub-bin), which the Wasserstein distance uses; the
other statistics add the sub-bins into their bin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analytics.binning import (
    NULL_BIN,
    POSITION_UNITS,
    feature_bin_centers,
    feature_bin_intervals,
    feature_bin_labels,
    feature_cell_starts,
    feature_cells,
)
from dashboard.analytics.drift_thresholds import (
    DEFAULT_THRESHOLDS,
    SHIFTED,
    STABLE,
    DriftThresholds,
    missing_status,
    psi_status,
    worst,
)
from dashboard.analytics.histogram import (
    decile_psi,
    js_distance,
    moments_from_bin_moments,
    psi,
    wasserstein_from_bin_moments,
)


def bin_vectors(ref: pd.DataFrame, cur: pd.DataFrame, spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Dense count vectors over the feature's non-missing bins, plus the missing counts."""
    size = bin_count(spec)
    out = []
    missing = []
    for frame in (ref, cur):
        counts = np.zeros(size, dtype=float)
        if not frame.empty:
            b = frame["bin"].to_numpy(dtype=np.int64)
            n = frame["n"].to_numpy(dtype=float)
            ok = (b >= 0) & (b < size)
            np.add.at(counts, b[ok], n[ok])
            missing.append(int(n[b == NULL_BIN].sum()))
        else:
            missing.append(0)
        out.append(counts)
    return out[0], out[1], missing[0], missing[1]


def ks_from_counts(ref: np.ndarray, cur: np.ndarray) -> tuple[float | None, float | None]:
    """KS distance of binned CDFs and its asymptotic p-value (as scipy's two-sample test)."""
    nr, nc = ref.sum(), cur.sum()
    if nr == 0 or nc == 0:
        return None, None
    d = float(np.max(np.abs(np.cumsum(ref) / nr - np.cumsum(cur) / nc)))
    en = nr * nc / (nr + nc)
    # The asymptotic Kolmogorov distribution (scipy's ks_2samp 'asymp' mode); windows are large.
    return d, float(stats.kstwobign.sf(d * np.sqrt(en)))


def chi_square(ref: np.ndarray, cur: np.ndarray) -> tuple[float | None, float | None]:
    """Chi-square test of homogeneity on the categories seen in either window."""
    keep = (ref + cur) > 0
    if ref.sum() == 0 or cur.sum() == 0 or keep.sum() < 2:
        return (0.0, 1.0) if keep.sum() == 1 and ref.sum() and cur.sum() else (None, None)
    result = stats.chi2_contingency(np.vstack([ref[keep], cur[keep]]), correction=False)
    return float(result.statistic), float(result.pvalue)


def _has_positions(hist: pd.DataFrame) -> bool:
    """True when every numeric row says where its values sit (rollups written before do not)."""
    return "pos_sum" in hist.columns and "sub" in hist.columns and not hist["pos_sum"].isna().any()


def _bin_moments(hist: pd.DataFrame, spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Rows and summed positions per (bin, sub-bin), dense over the feature's cell codes
    (`feature_cell_starts`; missing values left out)."""
    starts = feature_cell_starts(spec)
    b = hist["bin"].to_numpy(dtype=np.int64)
    sub = hist["sub"].to_numpy(dtype=np.int64)
    keep = (b >= 0) & (b + 1 < starts.size - 1)
    code = starts[b[keep] + 1] + sub[keep]
    size = int(starts[-1])
    n = np.bincount(code, weights=hist["n"].to_numpy(dtype=float)[keep], minlength=size)
    pos = np.bincount(code, weights=hist["pos_sum"].to_numpy(dtype=float)[keep], minlength=size)
    return n, pos


def _wasserstein(spec: Mapping[str, Any], ref_hist: pd.DataFrame, cur_hist: pd.DataFrame,
                 ref: np.ndarray, cur: np.ndarray) -> tuple[float | None, float | None, bool]:
    """Wasserstein distance, also scaled by the reference std; and whether it used positions.

    With positions (and sub-bins) it is within a few percent of the raw rows' distance (see
    `histogram.wasserstein_from_bin_moments`). A rollup written before has none: then each bin's
    mass sits at its center, which understates heavy tails (the caller says so).
    """
    if ref.sum() == 0 or cur.sum() == 0:
        return None, None, True
    if _has_positions(ref_hist) and _has_positions(cur_hist):
        if not spec.get("edges"):
            return None, None, True
        (n_ref, pos_ref), (n_cur, pos_cur) = _bin_moments(ref_hist, spec), _bin_moments(cur_hist, spec)
        code = np.flatnonzero((n_ref + n_cur) > 0)
        lo, hi = feature_bin_intervals(spec, *feature_cells(spec, code))
        order = np.argsort(lo, kind="stable")
        lo, hi, code = lo[order], hi[order], code[order]
        n_ref, n_cur = n_ref[code], n_cur[code]
        with np.errstate(invalid="ignore", divide="ignore"):
            m_ref = pos_ref[code] / (n_ref * POSITION_UNITS)
            m_cur = pos_cur[code] / (n_cur * POSITION_UNITS)
        w = wasserstein_from_bin_moments(lo, hi, n_ref, m_ref, n_cur, m_cur)
        _, std = moments_from_bin_moments(lo, hi, n_ref, m_ref)
        return w, (w / std if w is not None and std else None), True
    centers = feature_bin_centers(spec)
    if centers.size != ref.size:
        return None, None, False
    w = float(stats.wasserstein_distance(centers, centers, ref, cur))
    mean = np.average(centers, weights=ref)
    std = float(np.sqrt(np.average((centers - mean) ** 2, weights=ref)))
    return w, (w / std if std > 0 else None), False


def bin_count(spec: Mapping[str, Any]) -> int:
    """Bins of a feature's non-missing values: numeric edges + 1, or the categories plus "unseen"."""
    return len(spec["edges"]) + 1 if spec["type"] == "numeric" else len(spec["categories"]) + 1


def compute_feature_drift(ref_hist: pd.DataFrame, cur_hist: pd.DataFrame, bins: Mapping[str, Any],
                          features: Sequence[tuple[str, str]], importance: Mapping[str, float] | None = None,
                          thresholds: DriftThresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """One row per feature: PSI, JS, Wasserstein, KS / chi-square with p-values, missing shares.

    `features` are (name, type) pairs in card order; a feature without bins or absent from
    a window gets a note instead of statistics. Sorted by drift impact (PSI x importance share).
    """
    rows = []
    total_imp = sum(v for v in (importance or {}).values() if v and np.isfinite(v))
    ref_groups = dict(tuple(ref_hist.groupby("feature"))) if not ref_hist.empty else {}
    cur_groups = dict(tuple(cur_hist.groupby("feature"))) if not cur_hist.empty else {}
    for name, ftype in features:
        imp = (importance or {}).get(name)
        share = imp / total_imp if imp is not None and total_imp > 0 else None
        rows.append(_compute_feature_row(name, ftype, share, bins.get(name), ref_groups.get(name),
                                         cur_groups.get(name), thresholds))
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["_order"] = pd.to_numeric(frame["impact"], errors="coerce").fillna(-1.0)
    return frame.sort_values(["_order", "feature"], ascending=[False, True]).drop(columns="_order") \
        .reset_index(drop=True)


def _compute_feature_row(name: str, ftype: str, share: float | None, spec: Mapping[str, Any] | None,
                         ref_part: pd.DataFrame | None, cur_part: pd.DataFrame | None,
                         thresholds: DriftThresholds) -> dict[str, Any]:
    """One feature's row of `compute_feature_drift` (`ref_part`/`cur_part`: its rows of each
    window, None when absent)."""
    row: dict[str, Any] = {"feature": name, "type": ftype, "status": STABLE, "psi": None, "js": None,
                           "wasserstein": None, "wasserstein_norm": None, "ks": None, "ks_pvalue": None,
                           "chi2": None, "chi2_pvalue": None, "missing_ref": None, "missing_cur": None,
                           "missing_change": None, "n_ref": 0, "n_cur": 0, "importance": share,
                           "impact": None, "note": "", "wasserstein_estimate": None}
    if spec is None:
        row["note"] = "no reference bins for this feature (it was not in the reference data)"
        return row
    if ref_part is None or cur_part is None:
        where = "reference" if ref_part is None else "current"
        row["note"] = f"not present in the {where} window"
        return row
    ref, cur, miss_r, miss_c = bin_vectors(ref_part, cur_part, spec)
    tot_r, tot_c = ref.sum() + miss_r, cur.sum() + miss_c
    row.update(n_ref=int(tot_r), n_cur=int(tot_c))
    row["missing_ref"] = miss_r / tot_r if tot_r else None
    row["missing_cur"] = miss_c / tot_c if tot_c else None
    if row["missing_ref"] is not None and row["missing_cur"] is not None:
        row["missing_change"] = row["missing_cur"] - row["missing_ref"]
    notes = _compare_distributions(row, ftype, spec, ref_part, cur_part, ref, cur)
    status = worst(psi_status(row["psi"], thresholds), missing_status(row["missing_change"], thresholds))
    if (ref.sum() == 0) != (cur.sum() == 0):
        status = SHIFTED  # a feature that went (or came back from) all-missing
    row["status"] = status
    drift = row["psi"] if row["psi"] is not None else 0.0
    drift = max(drift, abs(row["missing_change"] or 0.0))
    row["impact"] = drift * share if share is not None else drift
    row["note"] = "; ".join(notes)
    return row


def _compare_distributions(row: dict[str, Any], ftype: str, spec: Mapping[str, Any], ref_part: pd.DataFrame,
                           cur_part: pd.DataFrame, ref: np.ndarray, cur: np.ndarray) -> list[str]:
    """Fills `row`'s distribution statistics of the non-missing values; returns the notes."""
    notes = []
    if ref.sum() == 0 or cur.sum() == 0:
        side = "reference" if ref.sum() == 0 else "current"
        notes.append(f"all values are missing in the {side} window")
    elif ftype == "numeric":
        row["psi"] = decile_psi(ref, cur)
        row["ks"], row["ks_pvalue"] = ks_from_counts(ref, cur)
        row["wasserstein"], row["wasserstein_norm"], exact = _wasserstein(spec, ref_part, cur_part, ref, cur)
        row["wasserstein_estimate"] = "bin positions" if exact else "bin centers"
        if np.count_nonzero(ref + cur) == 1:
            notes.append("constant in both windows")
    else:
        row["psi"] = psi(ref, cur)
        row["chi2"], row["chi2_pvalue"] = chi_square(ref, cur)
        if np.count_nonzero(ref + cur) == 1:
            notes.append("constant in both windows")
    if ref.sum() and cur.sum():
        row["js"] = js_distance(ref, cur)
    return notes


def compute_feature_overlay(ref_hist: pd.DataFrame, cur_hist: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Shares per bin of one feature in both windows (missing last), for the drill-down chart."""
    ref, cur, miss_r, miss_c = bin_vectors(ref_hist, cur_hist, spec)
    labels = feature_bin_labels(spec)
    if len(labels) < ref.size:
        labels = [*labels, *(f"bin {i}" for i in range(len(labels), ref.size))]
    ref_all = np.append(ref, miss_r)
    cur_all = np.append(cur, miss_c)
    frame = pd.DataFrame({"bin": [*labels[: ref.size], "(missing)"],
                          "reference": ref_all / ref_all.sum() if ref_all.sum() else ref_all,
                          "current": cur_all / cur_all.sum() if cur_all.sum() else cur_all})
    keep = (ref_all + cur_all) > 0
    if spec["type"] != "numeric":
        keep[: ref.size - 1] = True  # every declared category stays visible; "(unseen)" only when seen
    return frame[keep].reset_index(drop=True)
