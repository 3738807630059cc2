"""Row-level validation of prediction logs and outcomes against the contracts.

Pure pandas: a frame in, typed good rows and reasoned rejects out. Nothing here reads or
writes files; the store keeps what this returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.contracts import (
    DECISIONS,
    OUTCOME_OPTIONAL,
    OUTCOME_REQUIRED,
    PREDICTION_OPTIONAL,
    PREDICTION_REQUIRED,
)
from dashboard.models.card import ModelCard

ROW_COLUMN = "_row"        # 1-based row number in the source file
REASON_COLUMN = "_reason"  # why the row was rejected


@dataclass
class ValidationResult:
    good: pd.DataFrame
    rejected: pd.DataFrame  # original cells as text, plus _row and _reason
    problems: list[str] = field(default_factory=list)  # one line per (column, reason)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected.empty and not self.problems


class _Rejections:
    """Collects (row mask, column, reason) and turns them into rejects and messages."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.bad = np.zeros(len(frame), dtype=bool)
        self.reasons: dict[int, list[str]] = defaultdict(list)
        self.summary: list[tuple[str, str, np.ndarray]] = []

    def add(self, mask: np.ndarray | pd.Series, column: str, expected: str, show_value: bool = True) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        self.summary.append((column, expected, idx))
        values = self.frame[column].iloc[idx] if show_value and column in self.frame else None
        for k, i in enumerate(idx[:100_000]):
            if values is not None:
                got = values.iloc[k]
                self.reasons[int(i)].append(f"{column}: expected {expected}, got {_show(got)}")
            else:
                self.reasons[int(i)].append(f"{column}: {expected}")
        self.bad |= mask

    def result(self, good: pd.DataFrame, warnings: list[str]) -> ValidationResult:
        idx = np.flatnonzero(self.bad)
        rejected = self.frame.iloc[idx].astype(str).where(self.frame.iloc[idx].notna(), "")
        rejected.insert(0, ROW_COLUMN, idx + 1)
        rejected[REASON_COLUMN] = ["; ".join(self.reasons.get(int(i), ["rejected"])) for i in idx]
        problems = []
        for column, expected, rows in self.summary:
            shown = ", ".join(str(r + 1) for r in rows[:5]) + (" ..." if len(rows) > 5 else "")
            got = ""
            if column in self.frame:
                got = f" (first value: {_show(self.frame[column].iloc[rows[0]])})"
            problems.append(
                f"{len(rows)} row(s) rejected, column '{column}', row(s) {shown}: expected {expected}{got}"
            )
        kept = good[~self.bad] if len(good) == len(self.bad) and self.bad.any() else good
        return ValidationResult(good=kept.reset_index(drop=True),
                                rejected=rejected.reset_index(drop=True),
                                problems=problems, warnings=warnings)


def _show(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value[:40])
    return "empty" if value is None or (isinstance(value, float) and np.isnan(value)) else text


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _is_blank(series: pd.Series) -> np.ndarray:
    if series.dtype != object:
        return np.asarray(series.isna().to_numpy(), dtype=bool)
    if _is_text(series):
        # Arrow's kernels: a million cells in milliseconds instead of a Python loop.
        arr = pa.array(series, type=pa.string(), from_pandas=True)
        blank = pc.equal(pc.utf8_trim_whitespace(arr), "")
        return np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray((series.isna() | (series.astype(str).str.strip() == "")).to_numpy(), dtype=bool)


def _to_number(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers, and a mask of cells that were filled but are not numbers."""
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(float)
    num = pd.to_numeric(series, errors="coerce")
    if pd.api.types.is_numeric_dtype(series):
        return num.astype(float), np.zeros(len(series), dtype=bool)
    bad = num.isna().to_numpy() & ~_is_blank(series)
    return num.astype(float), bad


def _to_timestamp(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Naive UTC timestamps, and a mask of cells that could not be parsed."""
    if pd.api.types.is_datetime64_any_dtype(series):
        ts = series
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        return ts.astype("datetime64[us]"), ts.isna().to_numpy()
    text = series.astype(object).where(series.notna(), None)
    ts = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    ts = ts.dt.tz_localize(None).astype("datetime64[us]")
    return ts, ts.isna().to_numpy()


def _to_text(series: pd.Series) -> pd.Series:
    if _is_text(series):
        return series.where(series.notna(), None)
    out = series.astype(object).where(series.notna(), None)
    return out.map(lambda v: v if v is None or isinstance(v, str) else _format_scalar(v))


def _format_scalar(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _unknown_columns(frame: pd.DataFrame, known: set[str], warnings: list[str], source: str) -> None:
    extra = [c for c in frame.columns if c not in known]
    if extra:
        warnings.append(f"{source}: ignored unknown column(s) {', '.join(map(repr, extra))}")


def _check_contract_columns(frame: pd.DataFrame, good: pd.DataFrame, rej: _Rejections) -> None:
    """The score, the time and the optional decision and latency, typed into `good`."""
    good["timestamp"], bad_ts = _to_timestamp(frame["timestamp"])
    rej.add(bad_ts, "timestamp", "a date-time such as 2025-05-01T09:30:00Z")
    good["score"], bad_score = _to_number(frame["score"])
    out_of_range = ~bad_score & ~((good["score"] >= 0) & (good["score"] <= 1)).to_numpy()
    rej.add(bad_score | out_of_range, "score", "a probability between 0 and 1")
    if "decision" in frame.columns:
        dec = _to_text(frame["decision"]).map(lambda v: v.strip().lower() if isinstance(v, str) else v)
        dec = dec.where(~pd.Series(_is_blank(frame["decision"]), index=dec.index), None)
        rej.add((dec.notna() & ~dec.isin(DECISIONS)).to_numpy(), "decision", "approve, decline, review or empty")
        good["decision"] = dec
    else:
        good["decision"] = None
    if "latency_ms" in frame.columns:
        lat, bad_lat = _to_number(frame["latency_ms"])
        rej.add(bad_lat | (lat < 0).to_numpy(), "latency_ms", "a non-negative number of milliseconds")
        good["latency_ms"] = lat
    else:
        good["latency_ms"] = np.nan
    if "backfilled" in frame.columns:
        flag = _to_text(frame["backfilled"]).map(lambda v: v.strip().lower() if isinstance(v, str) else v)
        known = flag.isna() | flag.isin(_FLAGS)
        rej.add(~known.to_numpy(), "backfilled", "true, false, 1, 0 or empty")
        good["backfilled"] = flag.map(_FLAGS).fillna(False).astype(bool)


def _check_model_columns(frame: pd.DataFrame, good: pd.DataFrame, rej: _Rejections, card: ModelCard,
                         rows: np.ndarray) -> set[str]:
    """One model's features (typed by the card) and protected and personal columns; the names used."""
    known: set[str] = set()
    for spec in card.features:
        known.add(spec.name)
        if spec.name not in frame.columns:
            rej.add(rows, "model_id", f"column '{spec.name}' (a feature of model {card.id}) in the file",
                    show_value=False)
            continue
        if spec.name in good.columns:
            continue
        if spec.type == "numeric":
            good[spec.name], bad = _to_number(frame[spec.name])
            rej.add(bad & rows, spec.name, "a number (or empty for missing)")
        else:
            good[spec.name] = _to_text(frame[spec.name])
    for col in card.kept_columns:
        known.add(col)
        if col in frame.columns and col not in good.columns:
            good[col] = _to_text(frame[col])
    return known


def validate_predictions(
    frame: pd.DataFrame, cards: Mapping[str, ModelCard], source: str = "input"
) -> ValidationResult:
    """Check a prediction log frame; rows for unregistered models are rejected."""
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    rej = _Rejections(frame)
    warnings: list[str] = []
    missing = [c for c in PREDICTION_REQUIRED if c not in frame.columns]
    if missing:
        rej.add(np.ones(len(frame), dtype=bool), missing[0],
                f"required column(s) {', '.join(missing)} to exist; the file has "
                f"{', '.join(map(str, frame.columns[:12]))}", show_value=False)
        return rej.result(frame.iloc[0:0], warnings)
    good = pd.DataFrame(index=frame.index)
    for col in ("prediction_id", "application_id", "model_id"):
        good[col] = _to_text(frame[col])
        rej.add(_is_blank(frame[col]), col, "a non-empty id")
    ids = good["model_id"]
    registered = ", ".join(sorted(cards)) or "none yet (run dashboard register-model first)"
    rej.add((ids.notna() & ~ids.isin(list(cards))).to_numpy(), "model_id", f"a registered model ({registered})")
    _check_contract_columns(frame, good, rej)
    known = set(PREDICTION_REQUIRED) | set(PREDICTION_OPTIONAL)
    for model_id in [m for m in ids.dropna().unique() if m in cards]:
        known |= _check_model_columns(frame, good, rej, cards[model_id], (ids == model_id).to_numpy())
    _unknown_columns(frame, known, warnings, source)
    pid = good["prediction_id"]
    dup = pid.duplicated(keep="first").to_numpy() & pid.notna().to_numpy()
    rej.add(dup, "prediction_id", "an id not already used earlier in the same file")
    return rej.result(good, warnings)


def validate_outcomes(frame: pd.DataFrame, source: str = "input") -> ValidationResult:
    """Check an outcomes frame: label is 1 for defaulted/bad and 0 for good."""
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    rej = _Rejections(frame)
    warnings: list[str] = []
    missing = [c for c in OUTCOME_REQUIRED if c not in frame.columns]
    if missing:
        rej.add(np.ones(len(frame), dtype=bool), missing[0],
                f"required column(s) {', '.join(missing)} to exist; the file has "
                f"{', '.join(map(str, frame.columns[:12]))}", show_value=False)
        return rej.result(frame.iloc[0:0], warnings)
    good = pd.DataFrame(index=frame.index)
    good["application_id"] = _to_text(frame["application_id"])
    rej.add(_is_blank(frame["application_id"]), "application_id", "a non-empty id")
    good["outcome_timestamp"], bad_ts = _to_timestamp(frame["outcome_timestamp"])
    rej.add(bad_ts, "outcome_timestamp", "a date-time such as 2025-11-01T00:00:00Z")
    label, bad_label = _to_number(frame["label"])
    not_binary = ~bad_label & ~label.isin([0.0, 1.0]).to_numpy()
    rej.add(bad_label | not_binary, "label", "1 for defaulted/bad or 0 for good")
    good["label"] = label.where(label.isin([0.0, 1.0]), -1).astype("int8")
    for col in OUTCOME_OPTIONAL:
        if col in frame.columns:
            num, bad = _to_number(frame[col])
            rej.add(bad | (num < 0).to_numpy(), col, "a non-negative amount (or empty)")
            good[col] = num
        else:
            good[col] = np.nan
    _unknown_columns(frame, set(OUTCOME_REQUIRED) | set(OUTCOME_OPTIONAL), warnings, source)
    key = good[["application_id", "outcome_timestamp"]]
    dup = key.duplicated(keep="first").to_numpy()
    rej.add(dup, "application_id", "one outcome per application_id and outcome_timestamp in a file")
    return rej.result(good, warnings)
