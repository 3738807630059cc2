"""The drift verdict: retrain, watch or no action, with each rule that fired, the features it
fired on and since when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.analytics.drift_thresholds import DEFAULT_THRESHOLDS, SHIFTED, WATCH, DriftThresholds


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


def compute_recommendation(features: pd.DataFrame, onsets: Mapping[str, pd.Timestamp], score: Mapping[str, Any],
                           concept: Mapping[str, Any],
                           thresholds: DriftThresholds = DEFAULT_THRESHOLDS) -> Recommendation:
    """Retrain, watch or no action, with each rule that fired, its features and since when."""
    reasons, inputs_changed, important = _compute_input_reasons(features, onsets, thresholds)
    reasons += _compute_outcome_reasons(score, concept, thresholds)
    relation, decay = bool(concept.get("relation_changed")), bool(concept.get("decay"))
    verdict = {(True, True): "both", (True, False): "inputs changed", (False, True): "relation changed",
               (False, False): "no material change"}[(inputs_changed, relation)]
    if relation or decay or important:
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


def _compute_since(names: tuple[str, ...], onsets: Mapping[str, pd.Timestamp]) -> str | None:
    """The month the earliest of these features' shifts began."""
    since = min((onsets[n] for n in names if n in onsets), default=None)
    return None if since is None else str(since)[:7]


def _compute_input_reasons(features: pd.DataFrame, onsets: Mapping[str, pd.Timestamp],
                           thresholds: DriftThresholds) -> tuple[list[Reason], bool, bool]:
    """The data drift rules that fired; whether any feature shifted, and any the model relies on."""
    reasons: list[Reason] = []
    shifted = features[features["status"] == SHIFTED] if not features.empty else features
    watch = features[features["status"] == WATCH] if not features.empty else features
    has_imp = not features.empty and features["importance"].notna().any()
    min_share = thresholds.important_fraction / max(len(features), 1)
    important = shifted[shifted["importance"].fillna(0) >= min_share] if has_imp else shifted
    if not important.empty:
        names = tuple(important["feature"])
        share = float(important["importance"].fillna(0).sum()) if has_imp else None
        detail = (f"PSI above {thresholds.psi_shift} (or missing share moved over "
                  f"{thresholds.missing_shift:.0%}) on features the model relies on")
        if share is not None:
            detail += f" ({share:.0%} of mean |SHAP|)"
        reasons.append(Reason("data drift on important features", detail, names, _compute_since(names, onsets)))
    minor = shifted[~shifted["feature"].isin(important["feature"])] if not shifted.empty else shifted
    if not minor.empty:
        names = tuple(minor["feature"])
        reasons.append(Reason("data drift on minor features",
                              f"PSI above {thresholds.psi_shift} on features with under "
                              f"{min_share:.1%} of mean |SHAP| each", names, _compute_since(names, onsets)))
    if not watch.empty:
        reasons.append(Reason("features to watch", f"PSI between {thresholds.psi_watch} and {thresholds.psi_shift}",
                              tuple(watch["feature"])))
    return reasons, not shifted.empty, not important.empty


def _compute_outcome_reasons(score: Mapping[str, Any], concept: Mapping[str, Any],
                             thresholds: DriftThresholds) -> list[Reason]:
    """The prediction drift, calibration and performance decay rules that fired."""
    reasons = []
    if score.get("status") == SHIFTED:
        reasons.append(Reason("prediction drift", f"score PSI {score['psi']:.3f}: the score distribution moved "
                              f"(share below the cutoff {score['below_cutoff_ref']:.1%} -> "
                              f"{score['below_cutoff_cur']:.1%})"))
    if concept.get("relation_changed"):
        cur = concept.get("current") or {}
        detail = "realized bad rate departs from the calibrated expectation beyond tolerance"
        if cur.get("observed_rate") is not None and cur.get("expected_rate") is not None:
            detail += f" (current window: realized {cur['observed_rate']:.1%} vs expected {cur['expected_rate']:.1%})"
        reasons.append(Reason("concept drift (calibration)", detail, (), concept.get("since_relation")))
    if concept.get("decay"):
        cur_auc = (concept.get("current") or {}).get("auc") or 0.0
        reasons.append(Reason("performance decay", f"AUC on matured labels {cur_auc:.3f}, more than "
                              f"{thresholds.auc_drop} below the baseline {concept.get('baseline_auc') or 0:.3f}",
                              (), concept.get("since_decay")))
    return reasons
