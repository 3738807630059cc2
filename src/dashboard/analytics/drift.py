"""The drift report of one model and two windows: data, prediction and concept drift plus the
verdict, gathered from the modules that compute each (pure: frames in, frames out), as the page,
the CLI and the benchmark show it; and the check of the chosen windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.concept_drift import compute_calibration_by_band, compute_concept_drift
from dashboard.analytics.drift_history import compute_psi_by_period, compute_shift_onsets
from dashboard.analytics.drift_thresholds import DEFAULT_THRESHOLDS, SHIFTED, DriftThresholds
from dashboard.analytics.drift_verdict import Recommendation, compute_recommendation
from dashboard.analytics.feature_drift import compute_feature_drift
from dashboard.analytics.performance import as_datetime
from dashboard.analytics.score_drift import compute_score_drift


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
        plain: dict[str, Any] = to_plain({
            "model_id": self.model_id, "reference": self.reference_label, "reference_data": self.reference_info,
            "current": self.current_label, "drifted": self.drifted, "recommendation": self.recommendation.to_dict(),
            "features": self.features, "score": self.score, "concept": self.concept,
            "calibration_by_band": self.calibration, "messages": list(self.messages)})
        return plain


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
                         thresholds: DriftThresholds = DEFAULT_THRESHOLDS) -> DriftReport:
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
