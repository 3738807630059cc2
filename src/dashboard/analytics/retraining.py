"""Retraining a challenger on matured loans: the out-of-time split, the checks, the fit and its
validation against the source model on the same held-out loans (pure: frames in, figures out).

The split is by month of decision: the latest months with matured loans are held out for
validation and never enter the fit, as a validation team expects of an out-of-time test.
Metrics reuse `paired_metrics` (scikit-learn's AUC, bootstrap intervals, DeLong's paired test).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.paired_metrics import compute_calibration, compute_metric_table
from dashboard.errors import DashboardError
from dashboard.models.artifact import predict_scores

MIN_TRAIN_ROWS = 400       # matured loans the fit needs at least
MIN_TRAIN_BADS = 40        # and bads among them: below this a model mostly learns noise
MIN_VALID_ROWS = 150
MIN_VALID_BADS = 15
VALIDATION_SHARE = 0.25    # the latest months are held out until they hold this share of the matured loans


class RetrainError(DashboardError, ValueError):
    """A retraining that cannot be done as asked; the message says what to change."""


@dataclass(frozen=True)
class OutOfTimeSplit:
    train_months: tuple[str, ...]
    valid_months: tuple[str, ...]
    train: pd.DataFrame
    valid: pd.DataFrame

    @property
    def disjoint(self) -> bool:
        """No month and no application is in both parts, and every training month precedes validation."""
        return (not set(self.train_months) & set(self.valid_months)
                and max(self.train_months) < min(self.valid_months)
                and not set(self.train["application_id"]) & set(self.valid["application_id"]))


def split_out_of_time(rows: pd.DataFrame, share: float = VALIDATION_SHARE) -> OutOfTimeSplit:
    """Hold out the latest months (by `month`, YYYY-MM of decision) until they hold `share` of the rows.

    At least one month is held out and at least one kept for training; fewer than two months
    with matured loans cannot be split out of time.
    """
    counts = rows.groupby("month").size().sort_index()
    if len(counts) < 2:
        raise RetrainError(f"the window has matured loans in {len(counts)} month(s); an out-of-time "
                           "validation needs at least two: widen the window")
    months, total = list(counts.index), float(counts.sum())
    cut = len(months) - 1
    held = int(counts.iloc[cut])
    while held < share * total and cut > 1:
        cut -= 1
        held += int(counts.iloc[cut])
    valid_months = tuple(months[cut:])
    train_months = tuple(months[:cut])
    in_valid = rows["month"].isin(valid_months)
    return OutOfTimeSplit(train_months=train_months, valid_months=valid_months,
                          train=rows[~in_valid].reset_index(drop=True), valid=rows[in_valid].reset_index(drop=True))


def check_counts(split: OutOfTimeSplit) -> None:
    """Refuse a split with too few matured loans or bads on either side (the message names the numbers)."""
    problems = []
    for part, frame, rows_min, bads_min in (("training", split.train, MIN_TRAIN_ROWS, MIN_TRAIN_BADS),
                                            ("validation", split.valid, MIN_VALID_ROWS, MIN_VALID_BADS)):
        n, bads = len(frame), int(frame["label"].sum())
        if n < rows_min or bads < bads_min:
            problems.append(f"{part} months {', '.join(_months(frame))} hold {n:,} matured loans with {bads:,} bads "
                            f"(at least {rows_min:,} loans and {bads_min:,} bads are needed)")
    if problems:
        raise RetrainError("too few matured loans or bads: " + "; ".join(problems)
                           + ". Widen the window or wait for more outcomes to mature")


def _months(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["month"].unique()) or ["none"]


@dataclass
class Validation:
    """The retrained and the source model on the same held-out loans."""

    metrics: pd.DataFrame                   # compute_metric_table: source first, then the retrained model
    calibration: dict[str, dict[str, float | None]]
    rows: int
    bads: int
    months: tuple[str, ...]
    summary: dict[str, float] = field(default_factory=dict)


def fit_and_validate(estimator: Any, split: OutOfTimeSplit, features: Sequence[str], source_id: str,
                     source_model: Any | None, new_id: str, draws: int = 400) -> tuple[Any, Validation]:
    """Fit on the training months only; score the validation months with both models."""
    if not split.disjoint:
        raise RetrainError("the validation months overlap the training months")  # never: a guard for the split
    x, y = split.train[list(features)], split.train["label"].to_numpy(dtype=int)
    try:
        estimator.fit(x, y)
    except Exception as exc:  # noqa: BLE001 (a user's pipeline may raise anything on these columns)
        raise RetrainError(f"the pipeline could not be fitted on the window's rows ({type(exc).__name__}: {exc})") \
            from None
    vy = split.valid["label"].to_numpy(dtype=int)
    scores = {new_id: predict_scores(estimator, split.valid[list(features)])}
    if source_model is not None:
        scores = {source_id: predict_scores(source_model, split.valid[list(features)]), **scores}
    champion = source_id if source_model is not None else new_id
    table = compute_metric_table(vy, scores, draws=draws, champion=champion)
    calibration = {m: compute_calibration(vy, s) for m, s in scores.items()}
    new = table[table["model_id"] == new_id].iloc[0]
    summary = {"auc": float(new["auc"]), "auc_lo": float(new["auc_lo"]), "auc_hi": float(new["auc_hi"]),
               "brier": float(new["brier"]), "calibration_ratio": float(calibration[new_id]["ratio"] or np.nan)}
    return estimator, Validation(metrics=table, calibration=calibration, rows=len(vy), bads=int(vy.sum()),
                                 months=split.valid_months, summary=summary)


def fingerprint_rows(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """sha256 of the rows' values (order-independent): the same training data gives the same print."""
    hashed = pd.util.hash_pandas_object(frame[list(columns)], index=False).to_numpy()
    return hashlib.sha256(np.sort(hashed).tobytes()).hexdigest()


def fingerprint_files(files: Sequence[tuple[str, int]]) -> str:
    """sha256 over the files read and their row counts (sorted by name)."""
    text = "\n".join(f"{name}\t{rows}" for name, rows in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
