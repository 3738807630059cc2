"""Prediction drift: the score distribution of two windows, from score histograms (rows,
labelled rows and bads per fine score bin), and the approval rate and share below the cutoff
per period."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.binning import SCORE_BINS
from dashboard.analytics.drift_thresholds import (
    DEFAULT_THRESHOLDS,
    STABLE,
    DriftThresholds,
    psi_status,
)
from dashboard.analytics.feature_drift import ks_from_counts
from dashboard.analytics.histogram import decile_psi


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
                        thresholds: DriftThresholds = DEFAULT_THRESHOLDS) -> dict[str, Any]:
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
