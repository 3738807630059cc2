"""The drift rules: the statuses a figure can have, the thresholds, and the status of a figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STABLE, WATCH, SHIFTED = "stable", "watch", "shifted"
STATUS_ORDER = {STABLE: 0, WATCH: 1, SHIFTED: 2}


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


DEFAULT_THRESHOLDS = DriftThresholds()  # the default argument of the drift functions (frozen: safe to share)


def psi_status(value: float | None, thresholds: DriftThresholds = DEFAULT_THRESHOLDS) -> str:
    if value is None or not np.isfinite(value):
        return STABLE
    if value > thresholds.psi_shift:
        return SHIFTED
    if value >= thresholds.psi_watch:
        return WATCH
    return STABLE


def missing_status(change: float | None, thresholds: DriftThresholds) -> str:
    if change is None:
        return STABLE
    if abs(change) > thresholds.missing_shift:
        return SHIFTED
    if abs(change) > thresholds.missing_watch:
        return WATCH
    return STABLE


def worst(*statuses: str) -> str:
    return max(statuses, key=lambda s: STATUS_ORDER[s])
