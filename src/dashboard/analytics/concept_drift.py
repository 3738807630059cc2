"""Concept drift: has the score-to-outcome relation changed? Calibration (realized against
expected bads) and AUC decay on matured labels, for a window, per period and per score band."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.binning import SCORE_BINS
from dashboard.analytics.drift_history import first_flag, run_start
from dashboard.analytics.drift_thresholds import DEFAULT_THRESHOLDS, DriftThresholds
from dashboard.analytics.histogram import auc_from_histogram, auc_standard_error
from dashboard.analytics.score_drift import dense_scores, score_bin_centers

SCORE_BANDS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 0.50, 1.0)


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
                                  thresholds: DriftThresholds = DEFAULT_THRESHOLDS,
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
                          thresholds: DriftThresholds = DEFAULT_THRESHOLDS,
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
