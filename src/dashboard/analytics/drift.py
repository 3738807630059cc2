"""Data, prediction and concept drift from histograms (pure: frames in, frames out).

Feature histograms are counts per reference bin (numeric: 100 reference-quantile bins;
categorical: one bin per category plus "unseen"; bin -1 = missing). Distribution
statistics compare the non-missing values; the missing share is compared on its own.
PSI follows the credit convention on 10 reference deciles merged from the fine bins.
Numeric rows may also carry `sub` (parts of wide bins, and sub-bins beyond the outer edges) and
`pos_sum` (where the rows sit inside their sub-bin), which the Wasserstein distance uses; the
other statistics add the sub-bins into their bin.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analytics.binning import (
    NULL_BIN,
    POSITION_UNITS,
    SCORE_BINS,
    feature_bin_centers,
    feature_bin_intervals,
    feature_cell_starts,
    feature_cells,
)
from dashboard.analytics.histogram import (
    PSI_EPS,
    auc_from_histogram,
    auc_standard_error,
    decile_psi,
    js_distance,
    moments_from_bin_moments,
    psi,
    wasserstein_from_bin_moments,
)
from dashboard.analytics.performance import as_datetime

STABLE, WATCH, SHIFTED = "stable", "watch", "shifted"
STATUS_ORDER = {STABLE: 0, WATCH: 1, SHIFTED: 2}
SCORE_BANDS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 0.50, 1.0)


@dataclass(frozen=True)
class DriftThresholds:
    """The rules; PSI bounds are the credit convention."""

    psi_watch: float = 0.10
    psi_shift: float = 0.25
    missing_watch: float = 0.02    # absolute change of the missing share
    missing_shift: float = 0.05
    calibration_tolerance: float = 0.15  # observed/expected bads off by more than 15% ...
    calibration_z: float = 3.0           # ... and beyond 3 standard errors
    min_labelled: int = 200              # per period, to judge calibration or AUC
    auc_drop: float = 0.03               # performance decay beyond this and 2 standard errors
    # A feature is important when its share of mean |SHAP| is at least this fraction of an
    # equal share (0.5 with 18 features: 2.8%); unimportant ones only ask to watch.
    important_fraction: float = 0.5


@dataclass(frozen=True)
class Reason:
    rule: str
    detail: str
    features: tuple[str, ...] = ()
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "detail": self.detail, "features": list(self.features), "since": self.since}


@dataclass(frozen=True)
class Recommendation:
    action: str          # "retrain", "watch" or "no action"
    verdict: str         # "inputs changed", "relation changed", "both", "no material change"
    headline: str
    reasons: tuple[Reason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "verdict": self.verdict, "headline": self.headline,
                "reasons": [r.to_dict() for r in self.reasons]}


@dataclass
class DriftReport:
    """Everything the page, the CLI and the benchmark show for one model and two windows."""

    model_id: str
    reference_label: str
    current_label: str
    features: pd.DataFrame
    score: dict[str, Any]
    calibration: pd.DataFrame           # current window by score band
    concept: dict[str, Any]
    recommendation: Recommendation
    messages: list[str] = field(default_factory=list)
    reference_info: dict[str, Any] = field(default_factory=dict)  # what the reference is (see load_drift_inputs)

    @property
    def drifted(self) -> bool:
        """True when any rule crossed its shift threshold (what --fail-on-drift checks)."""
        shifted = not self.features.empty and bool((self.features["status"] == SHIFTED).any())
        return shifted or self.score.get("status") == SHIFTED or self.recommendation.action == "retrain"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (no NaN, no numpy or pandas objects): what `report drift --format json` prints."""
        return to_plain({"model_id": self.model_id, "reference": self.reference_label,
                         "reference_data": self.reference_info, "current": self.current_label,
                         "drifted": self.drifted, "recommendation": self.recommendation.to_dict(),
                         "features": self.features, "score": self.score, "concept": self.concept,
                         "calibration_by_band": self.calibration, "messages": list(self.messages)})


def to_plain(value: Any) -> Any:
    """`value` as plain JSON data: frames as lists of records, missing and non-finite numbers as
    None, dates as ISO text (a day when there is no time of day)."""
    if isinstance(value, pd.DataFrame):
        return [to_plain(r) for r in value.to_dict(orient="records")]
    if isinstance(value, (pd.Series, pd.Index, np.ndarray)):
        return [to_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return str(value)


def psi_status(value: float | None, thresholds: DriftThresholds = DriftThresholds()) -> str:
    if value is None or not np.isfinite(value):
        return STABLE
    if value > thresholds.psi_shift:
        return SHIFTED
    if value >= thresholds.psi_watch:
        return WATCH
    return STABLE


def _missing_status(change: float | None, thresholds: DriftThresholds) -> str:
    if change is None:
        return STABLE
    if abs(change) > thresholds.missing_shift:
        return SHIFTED
    if abs(change) > thresholds.missing_watch:
        return WATCH
    return STABLE


def worst(*statuses: str) -> str:
    return max(statuses, key=lambda s: STATUS_ORDER[s])


def bin_vectors(ref: pd.DataFrame, cur: pd.DataFrame, spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Dense count vectors over the feature's non-missing bins, plus the missing counts."""
    size = _bin_count(spec)
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


def compute_feature_drift(ref_hist: pd.DataFrame, cur_hist: pd.DataFrame, bins: Mapping[str, Any],
                          features: Sequence[tuple[str, str]], importance: Mapping[str, float] | None = None,
                          thresholds: DriftThresholds = DriftThresholds()) -> pd.DataFrame:
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
        row: dict[str, Any] = {"feature": name, "type": ftype, "status": STABLE, "psi": None, "js": None,
                               "wasserstein": None, "wasserstein_norm": None, "ks": None, "ks_pvalue": None,
                               "chi2": None, "chi2_pvalue": None, "missing_ref": None, "missing_cur": None,
                               "missing_change": None, "n_ref": 0, "n_cur": 0, "importance": share,
                               "impact": None, "note": "", "wasserstein_estimate": None}
        spec = bins.get(name)
        in_ref, in_cur = name in ref_groups, name in cur_groups
        if spec is None:
            row["note"] = "no reference bins for this feature (it was not in the reference data)"
            rows.append(row)
            continue
        if not in_ref or not in_cur:
            where = "reference" if not in_ref else "current"
            row["note"] = f"not present in the {where} window"
            rows.append(row)
            continue
        ref, cur, miss_r, miss_c = bin_vectors(ref_groups[name], cur_groups[name], spec)
        tot_r, tot_c = ref.sum() + miss_r, cur.sum() + miss_c
        row.update(n_ref=int(tot_r), n_cur=int(tot_c))
        row["missing_ref"] = miss_r / tot_r if tot_r else None
        row["missing_cur"] = miss_c / tot_c if tot_c else None
        if row["missing_ref"] is not None and row["missing_cur"] is not None:
            row["missing_change"] = row["missing_cur"] - row["missing_ref"]
        notes = []
        if ref.sum() == 0 or cur.sum() == 0:
            side = "reference" if ref.sum() == 0 else "current"
            notes.append(f"all values are missing in the {side} window")
        elif ftype == "numeric":
            row["psi"] = decile_psi(ref, cur)
            row["ks"], row["ks_pvalue"] = ks_from_counts(ref, cur)
            row["wasserstein"], row["wasserstein_norm"], exact = _wasserstein(
                spec, ref_groups[name], cur_groups[name], ref, cur)
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
        status = worst(psi_status(row["psi"], thresholds), _missing_status(row["missing_change"], thresholds))
        if (ref.sum() == 0) != (cur.sum() == 0):
            status = SHIFTED  # a feature that went (or came back from) all-missing
        row["status"] = status
        drift = row["psi"] if row["psi"] is not None else 0.0
        drift = max(drift, abs(row["missing_change"] or 0.0))
        row["impact"] = drift * share if share is not None else drift
        row["note"] = "; ".join(notes)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["_order"] = pd.to_numeric(frame["impact"], errors="coerce").fillna(-1.0)
    return frame.sort_values(["_order", "feature"], ascending=[False, True]).drop(columns="_order") \
        .reset_index(drop=True)


def _bin_count(spec: Mapping[str, Any]) -> int:
    return len(spec["edges"]) + 1 if spec["type"] == "numeric" else len(spec["categories"]) + 1


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
        out = np.sum((pc - pr) * np.log(pc / pr), axis=1)
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
        size = _bin_count(spec)
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


def compute_shift_onsets(period_psi: pd.DataFrame, thresholds: DriftThresholds = DriftThresholds(),
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


# ---------------------------------------------------------------------- scores


def score_bin_centers(bins: int = SCORE_BINS) -> np.ndarray:
    return (np.arange(bins) + 0.5) / bins


def dense_scores(hist: pd.DataFrame, column: str = "n", bins: int = SCORE_BINS) -> np.ndarray:
    out = np.zeros(bins, dtype=float)
    if not hist.empty:
        b = hist["bin"].to_numpy(dtype=np.int64).clip(0, bins - 1)
        np.add.at(out, b, hist[column].to_numpy(dtype=float))
    return out


def score_histogram_from_values(scores: np.ndarray, labels: np.ndarray | None = None) -> pd.DataFrame:
    """A reference score table shaped like r_scores: bin, n, n_labelled, n_bad."""
    s = np.asarray(scores, dtype=float)
    b = np.minimum(np.floor(s * SCORE_BINS), SCORE_BINS - 1).astype(np.int64)
    lab = np.full(s.size, np.nan) if labels is None else np.asarray(labels, dtype=float)
    frame = pd.DataFrame({"bin": b, "n": 1, "n_labelled": ~np.isnan(lab), "n_bad": np.nan_to_num(lab) == 1})
    return frame.groupby("bin", as_index=False).sum().astype("int64")


def compute_score_drift(ref_hist: pd.DataFrame, cur_hist: pd.DataFrame, cutoff: float,
                        thresholds: DriftThresholds = DriftThresholds()) -> dict[str, Any]:
    """Prediction drift: PSI and KS of the score distribution, mean score, share below the cutoff."""
    ref, cur = dense_scores(ref_hist), dense_scores(cur_hist)
    centers = score_bin_centers()
    below = centers < cutoff
    out: dict[str, Any] = {"n_ref": int(ref.sum()), "n_cur": int(cur.sum()), "cutoff": cutoff,
                           "psi": None, "ks": None, "mean_ref": None, "mean_cur": None,
                           "below_cutoff_ref": None, "below_cutoff_cur": None, "status": STABLE}
    if ref.sum() == 0 or cur.sum() == 0:
        return out
    out["psi"] = decile_psi(ref, cur)
    out["ks"], _ = ks_from_counts(ref, cur)
    out["mean_ref"] = float(np.average(centers, weights=ref))
    out["mean_cur"] = float(np.average(centers, weights=cur))
    out["below_cutoff_ref"] = float(ref[below].sum() / ref.sum())
    out["below_cutoff_cur"] = float(cur[below].sum() / cur.sum())
    out["status"] = psi_status(out["psi"], thresholds)
    return out


def compute_score_distribution(hist: pd.DataFrame, bins: int = 50) -> pd.DataFrame:
    """The score histogram coarsened to `bins` equal-width bins, as shares, for charts."""
    fine = dense_scores(hist)
    coarse = fine.reshape(bins, -1).sum(axis=1)
    total = coarse.sum()
    return pd.DataFrame({"lo": np.arange(bins) / bins, "hi": (np.arange(bins) + 1) / bins,
                         "share": coarse / total if total else coarse})


def compute_approval_trend(decisions: pd.DataFrame, scores_by_period: pd.DataFrame, cutoff: float) -> pd.DataFrame:
    """Per period: approval rate of decisions taken and the share of scores below the cutoff."""
    if decisions.empty:
        return pd.DataFrame(columns=["period", "n", "approval_rate", "below_cutoff"])
    d = decisions.copy()
    decided = d["n_approve"] + d["n_decline"] + d["n_review"]
    d["approval_rate"] = np.where(decided > 0, d["n_approve"] / decided.where(decided > 0, 1), np.nan)
    below = []
    edge = int(np.floor(cutoff * SCORE_BINS))
    for period in d["period"]:
        part = scores_by_period[scores_by_period["period"] == period]
        n = part["n"].sum()
        below.append(part.loc[part["bin"] < edge, "n"].sum() / n if n else np.nan)
    d["below_cutoff"] = below
    return d[["period", "n", "approval_rate", "below_cutoff"]]


# ---------------------------------------------------------------------- concept drift


def _expected_bads(hist: pd.DataFrame) -> tuple[float, float, float]:
    """Observed bads, expected bads (sum of calibrated scores) and the variance of the difference."""
    lab = dense_scores(hist, "n_labelled")
    bad = dense_scores(hist, "n_bad")
    p = score_bin_centers()
    return float(bad.sum()), float((lab * p).sum()), float((lab * p * (1 - p)).sum())


def calibration_summary(hist: pd.DataFrame) -> dict[str, Any]:
    """Observed vs expected bads over labelled rows; the score is P(bad), so E = sum of scores."""
    observed, expected, var = _expected_bads(hist)
    labelled = int(dense_scores(hist, "n_labelled").sum())
    ratio = observed / expected if expected > 0 else None
    z = (observed - expected) / np.sqrt(var) if var > 0 else None
    goods = dense_scores(hist, "n_labelled") - dense_scores(hist, "n_bad")
    auc = auc_from_histogram(goods, dense_scores(hist, "n_bad"))
    return {"labelled": labelled, "observed_bad": observed, "expected_bad": expected,
            "observed_rate": observed / labelled if labelled else None,
            "expected_rate": expected / labelled if labelled else None,
            "ratio": ratio, "z": None if z is None else float(z), "auc": auc,
            "auc_se": None if auc is None else auc_standard_error(auc, int(observed), int(labelled - observed))}


def compute_calibration_by_band(ref_hist: pd.DataFrame, cur_hist: pd.DataFrame,
                                bands: Sequence[float] = SCORE_BANDS) -> pd.DataFrame:
    """Per score band: expected (mean score) and realized bad rate of labelled rows, both windows."""
    rows = []
    edges = np.floor(np.asarray(bands) * SCORE_BINS).astype(int)
    for lo, hi, a, b in zip(bands[:-1], bands[1:], edges[:-1], edges[1:], strict=False):
        row: dict[str, Any] = {"band": f"{lo:.2f}-{hi:.2f}"}
        for tag, hist in (("ref", ref_hist), ("cur", cur_hist)):
            part = hist[(hist["bin"] >= a) & (hist["bin"] < b)] if not hist.empty else hist
            s = calibration_summary(part) if not part.empty else calibration_summary(hist.iloc[0:0])
            row[f"labelled_{tag}"] = s["labelled"]
            row[f"expected_{tag}"] = s["expected_rate"]
            row[f"realized_{tag}"] = s["observed_rate"]
        rows.append(row)
    return pd.DataFrame(rows)


def _relation_test(hist: pd.DataFrame, base_ratio: float, thresholds: DriftThresholds) -> tuple[bool, float | None]:
    """Observed bads vs the baseline-scaled expectation: off by the tolerance and beyond z standard errors."""
    observed, expected, var = _expected_bads(hist)
    if expected <= 0 or var <= 0:
        return False, None
    ratio = observed / expected
    z = (observed - base_ratio * expected) / np.sqrt(base_ratio * base_ratio * var)
    return bool(abs(ratio / base_ratio - 1) > thresholds.calibration_tolerance
                and abs(z) > thresholds.calibration_z), float(z)


def _decay_test(summary: Mapping[str, Any], baseline_auc: float | None, baseline_se: float | None,
                thresholds: DriftThresholds) -> bool:
    if summary["auc"] is None or baseline_auc is None:
        return False
    se = np.sqrt((summary["auc_se"] or 0.0) ** 2 + (baseline_se or 0.0) ** 2)
    return bool(baseline_auc - summary["auc"] > max(thresholds.auc_drop, 2 * se))


def compute_calibration_by_period(scores_by_period: pd.DataFrame, baseline_ratio: float | None,
                                  baseline_auc: float | None,
                                  thresholds: DriftThresholds = DriftThresholds(),
                                  baseline_auc_se: float | None = None) -> pd.DataFrame:
    """Per period: labelled rows, realized vs expected bad rate, their ratio and AUC; flags.

    `relation_changed`: observed/expected off the baseline ratio by more than the tolerance
    and beyond `calibration_z` standard errors. `decay`: AUC below the baseline by more than
    `auc_drop` and two standard errors. Periods with too few labels are not judged.
    """
    rows = []
    base = baseline_ratio if baseline_ratio and np.isfinite(baseline_ratio) else 1.0
    for period, part in scores_by_period.groupby("period", sort=True):
        s = calibration_summary(part)
        judged = s["labelled"] >= thresholds.min_labelled
        relation = judged and _relation_test(part, base, thresholds)[0]
        decay = judged and _decay_test(s, baseline_auc, baseline_auc_se, thresholds)
        rows.append({"period": pd.Timestamp(period), "n": int(part["n"].sum()), "labelled": s["labelled"],
                     "realized_rate": s["observed_rate"], "expected_rate": s["expected_rate"],
                     "ratio": s["ratio"], "auc": s["auc"], "judged": judged,
                     "relation_changed": relation, "decay": decay})
    return pd.DataFrame(rows, columns=["period", "n", "labelled", "realized_rate", "expected_rate", "ratio",
                                       "auc", "judged", "relation_changed", "decay"])


def _since(series: pd.DataFrame, column: str, first_month: pd.Timestamp) -> str | None:
    """The month the flag's latest run began, else its first month in the window."""
    if series.empty:
        return None
    judged = series[series["judged"]].set_index("period")[column]
    start = run_start(judged)
    if start is None:
        start = first_flag(judged[judged.index >= first_month])
    return None if start is None else str(start)[:7]


def compute_concept_drift(ref_scores: pd.DataFrame, cur_scores: pd.DataFrame, periods: pd.DataFrame,
                          window: tuple[dt.date, dt.date],
                          thresholds: DriftThresholds = DriftThresholds(),
                          ref_auc_population: pd.DataFrame | None = None) -> dict[str, Any]:
    """Concept drift: has the score-to-outcome relation changed in the current window?

    Judged on the labelled rows of the whole current window against the reference.
    Calibration is conditional on the score, so it holds for the approved-only population
    and does not move with the inputs: a change means the relation itself changed.
    `ref_auc_population` (default: the reference) is the score table the AUC baseline is
    taken on; AUC decay is reported apart, since a shifted population moves it too.
    """
    ref = calibration_summary(ref_scores)
    cur = calibration_summary(cur_scores)
    base = calibration_summary(ref_auc_population if ref_auc_population is not None else ref_scores)
    base_ratio = ref["ratio"] if ref["labelled"] >= thresholds.min_labelled else None
    series = compute_calibration_by_period(periods, base_ratio, base["auc"], thresholds, base["auc_se"])
    messages = []
    if ref["labelled"] < thresholds.min_labelled:
        messages.append(f"the reference has {ref['labelled']:,} labelled rows (fewer than "
                        f"{thresholds.min_labelled}); calibration is compared with the scores themselves")
    judged = cur["labelled"] >= thresholds.min_labelled
    relation, z = (_relation_test(cur_scores, base_ratio or 1.0, thresholds) if judged else (False, None))
    decay = judged and _decay_test(cur, base["auc"], base["auc_se"], thresholds)
    if not judged:
        messages.append(f"the current window has {cur['labelled']:,} matured labels (fewer than "
                        f"{thresholds.min_labelled}), so concept drift cannot be judged there yet")
    first_month = pd.Timestamp(window[0]).to_period("M").to_timestamp()
    return {"reference": ref, "current": cur, "baseline_auc": base["auc"], "baseline_ratio": base_ratio,
            "series": series, "judged": judged, "relation_changed": relation, "z": z, "decay": decay,
            "since_relation": _since(series, "relation_changed", first_month) if relation else None,
            "since_decay": _since(series, "decay", first_month) if decay else None,
            "messages": messages}


# ---------------------------------------------------------------------- the verdict


def compute_recommendation(features: pd.DataFrame, onsets: Mapping[str, pd.Timestamp], score: Mapping[str, Any],
                           concept: Mapping[str, Any],
                           thresholds: DriftThresholds = DriftThresholds()) -> Recommendation:
    """Retrain, watch or no action, with each rule that fired, its features and since when."""
    reasons: list[Reason] = []
    shifted = features[features["status"] == SHIFTED] if not features.empty else features
    watch = features[features["status"] == WATCH] if not features.empty else features
    has_imp = not features.empty and features["importance"].notna().any()
    min_share = thresholds.important_fraction / max(len(features), 1)
    important = shifted[shifted["importance"].fillna(0) >= min_share] if has_imp else shifted
    inputs_changed = not shifted.empty
    if not important.empty:
        names = tuple(important["feature"])
        since = min((onsets[n] for n in names if n in onsets), default=None)
        share = float(important["importance"].fillna(0).sum()) if has_imp else None
        detail = (f"PSI above {thresholds.psi_shift} (or missing share moved over "
                  f"{thresholds.missing_shift:.0%}) on features the model relies on")
        if share is not None:
            detail += f" ({share:.0%} of mean |SHAP|)"
        reasons.append(Reason("data drift on important features", detail, names,
                              None if since is None else str(since)[:7]))
    minor = shifted[~shifted["feature"].isin(important["feature"])] if not shifted.empty else shifted
    if not minor.empty:
        names = tuple(minor["feature"])
        since = min((onsets[n] for n in names if n in onsets), default=None)
        reasons.append(Reason("data drift on minor features",
                              f"PSI above {thresholds.psi_shift} on features with under "
                              f"{min_share:.1%} of mean |SHAP| each", names,
                              None if since is None else str(since)[:7]))
    if not watch.empty:
        reasons.append(Reason("features to watch", f"PSI between {thresholds.psi_watch} and {thresholds.psi_shift}",
                              tuple(watch["feature"])))
    if score.get("status") == SHIFTED:
        reasons.append(Reason("prediction drift", f"score PSI {score['psi']:.3f}: the score distribution moved "
                              f"(share below the cutoff {score['below_cutoff_ref']:.1%} -> "
                              f"{score['below_cutoff_cur']:.1%})"))
    relation = bool(concept.get("relation_changed"))
    if relation:
        cur = concept.get("current") or {}
        detail = "realized bad rate departs from the calibrated expectation beyond tolerance"
        if cur.get("observed_rate") is not None and cur.get("expected_rate") is not None:
            detail += f" (current window: realized {cur['observed_rate']:.1%} vs expected {cur['expected_rate']:.1%})"
        reasons.append(Reason("concept drift (calibration)", detail, (), concept.get("since_relation")))
    decay = bool(concept.get("decay"))
    if decay:
        cur_auc = (concept.get("current") or {}).get("auc") or 0.0
        reasons.append(Reason("performance decay", f"AUC on matured labels {cur_auc:.3f}, more than "
                              f"{thresholds.auc_drop} below the baseline {concept.get('baseline_auc') or 0:.3f}",
                              (), concept.get("since_decay")))
    verdict = {(True, True): "both", (True, False): "inputs changed", (False, True): "relation changed",
               (False, False): "no material change"}[(inputs_changed, relation)]
    if relation or decay or not important.empty:
        action = "retrain"
        headline = "Retrain recommended: " + {
            "both": "the inputs and the score-to-outcome relation both changed",
            "inputs changed": "inputs the model relies on have shifted",
            "relation changed": "the relation between scores and outcomes has changed",
            "no material change": "performance on matured labels has decayed",
        }[verdict]
    elif reasons:
        action = "watch"
        headline = "Watch: some drift, not yet on what the model relies on"
    else:
        action = "no action"
        headline = "No action: inputs, scores and outcomes are in line with the reference"
    return Recommendation(action, verdict, headline, tuple(reasons))


@dataclass(frozen=True)
class DriftInputs:
    """Everything drift needs, gathered from the store; small (days x bins)."""

    model_id: str
    features: tuple[tuple[str, str], ...]
    bins: Mapping[str, Any]
    cutoff: float
    reference_label: str
    current_label: str
    current_window: tuple[dt.date, dt.date]
    ref_features: pd.DataFrame
    cur_features: pd.DataFrame
    ref_scores: pd.DataFrame
    cur_scores: pd.DataFrame
    monthly_features: pd.DataFrame
    monthly_scores: pd.DataFrame
    ref_auc_population: pd.DataFrame | None = None
    messages: tuple[str, ...] = ()
    reference_info: Mapping[str, Any] = field(default_factory=dict)


def compute_drift_report(inputs: DriftInputs, importance: Mapping[str, float] | None = None,
                         thresholds: DriftThresholds = DriftThresholds()) -> DriftReport:
    """Feature, prediction and concept drift plus the recommendation for two windows."""
    features = compute_feature_drift(inputs.ref_features, inputs.cur_features, inputs.bins, inputs.features,
                                     importance, thresholds)
    monthly = compute_psi_by_period(inputs.ref_features, inputs.monthly_features, inputs.bins, inputs.features)
    end = pd.Timestamp(inputs.current_window[1])
    monthly = monthly[monthly["period"] <= end] if not monthly.empty else monthly
    shifted_now = set(features.loc[features["status"] == SHIFTED, "feature"]) if not features.empty else set()
    onsets = {k: v for k, v in compute_shift_onsets(monthly, thresholds).items() if k in shifted_now}
    score = compute_score_drift(inputs.ref_scores, inputs.cur_scores, inputs.cutoff, thresholds)
    periods = inputs.monthly_scores
    periods = periods[as_datetime(periods["period"]) <= end] if not periods.empty else periods
    concept = compute_concept_drift(inputs.ref_scores, inputs.cur_scores, periods, inputs.current_window,
                                    thresholds, inputs.ref_auc_population)
    calibration = compute_calibration_by_band(inputs.ref_scores, inputs.cur_scores)
    rec = compute_recommendation(features, onsets, score, concept, thresholds)
    messages = [*inputs.messages, *concept["messages"]]
    centers = features[features["wasserstein_estimate"] == "bin centers"] if not features.empty else features
    if not centers.empty:
        messages.append(f"Wasserstein distance of {', '.join(centers['feature'])} estimated from bin centers, which "
                        "understates heavy tails: the features rollup was written before bin positions were kept; "
                        "run `dashboard rollup rebuild`")
    if importance is None:
        messages.append("feature importance (mean |SHAP|) is unavailable: features are ranked by drift alone")
    return DriftReport(inputs.model_id, inputs.reference_label, inputs.current_label, features, score,
                       calibration, concept, rec, messages, dict(inputs.reference_info))


# ---------------------------------------------------------------------- what the reference is

_DATE_NAME = re.compile(r"(^|_)(timestamp|datetime|date|time)($|_)|_at$", re.IGNORECASE)


def _parse_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(values, errors="coerce", format="ISO8601")
            if out.notna().sum() < values.notna().sum():
                out = pd.to_datetime(values, errors="coerce", format="mixed")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def describe_reference_data(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows of reference data and its own date range, when it has a timestamp column.

    The column: `timestamp` when present, else the first column of dates, else the first text
    column named like a date (`*_date`, `date_*`, `*_time`, `*_at`, ...) whose values (95% of
    those present) read as dates. first/last: ISO days, None without such a column.
    """
    names = [c for c in frame.columns if str(c) == "timestamp"]
    names += [c for c in frame.columns if c not in names and pd.api.types.is_datetime64_any_dtype(frame[c])]
    names += [c for c in frame.columns if c not in names and _DATE_NAME.search(str(c))
              and not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    for name in names:
        present = int(frame[name].notna().sum())
        dates = _parse_dates(frame[name])
        if present and dates.notna().sum() >= 0.95 * present:
            return {"rows": int(len(frame)), "timestamp_column": str(name),
                    "first": dates.min().date().isoformat(), "last": dates.max().date().isoformat()}
    return {"rows": int(len(frame)), "timestamp_column": None, "first": None, "last": None}


def _period_days(start: str, end: str) -> tuple[str, str] | None:
    """A card's training window as two ISO days ('2024-01' ends on the month's last day)."""
    try:
        return (pd.Period(str(start)).start_time.date().isoformat(),
                pd.Period(str(end)).end_time.date().isoformat())
    except (ValueError, TypeError):
        return None


def label_reference_data(info: Mapping[str, Any], training_window: tuple[str, str] | None,
                         training_data: str = "") -> dict[str, Any]:
    """What the registered reference data is, in words: `info` plus `kind` and `label`.

    `info`: source (file name), rows, stored_rows, registered_on, first, last (see
    `describe_reference_data`). It is labelled as the training data ("training window A to B")
    only when it is: its own dates lie inside the card's training window, or, undated, the card's
    `training.data` names the file. Otherwise as the file: with its own date range, else as
    "a file of N rows registered on DATE".
    """
    source, rows = info.get("source"), int(info.get("rows") or 0)
    first, last = info.get("first"), info.get("last")
    name = f"reference file {source}" if source else "reference data registered with the model"
    window = _period_days(*training_window) if training_window else None
    dated = bool(first and last)
    inside = window is not None and dated and window[0] <= str(first) and str(last) <= window[1]
    named = window is not None and not dated and bool(source) and str(source) in (training_data or "")
    span = f" dated {first} to {last}" if dated else ""
    if inside or named:
        assert training_window is not None
        kind = "training data"
        label = (f"training window {training_window[0]} to {training_window[1]} "
                 f"({source or 'reference data'}: {rows:,} rows{span})")
    elif dated:
        kind, label = "reference file", f"{name}: {rows:,} rows{span}"
    else:
        kind = "reference file"
        label = f"{name}: a file of {rows:,} rows registered on {info.get('registered_on') or 'an unknown date'}"
    stored = info.get("stored_rows")
    if stored and int(stored) < rows:
        label += f"; drift uses a random {int(stored):,} of them"
    return {**dict(info), "kind": kind, "label": label}


def validate_windows(reference: tuple[dt.date, dt.date] | None, current: tuple[dt.date, dt.date]) -> list[str]:
    """Problems with the chosen windows, in words; empty when they can be compared."""
    problems = []
    lo, hi = current
    if lo > hi:
        problems.append(f"the current window starts ({lo}) after it ends ({hi})")
    if reference is not None:
        rlo, rhi = reference
        if rlo > rhi:
            problems.append(f"the reference window starts ({rlo}) after it ends ({rhi})")
        elif rlo > hi:
            problems.append(f"the reference window ({rlo} to {rhi}) starts after the current window ends ({hi}); "
                            "pick a reference before the current window")
    return problems


def compute_feature_overlay(ref_hist: pd.DataFrame, cur_hist: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Shares per bin of one feature in both windows (missing last), for the drill-down chart."""
    from dashboard.analytics.binning import feature_bin_labels

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
