"""What the reference data of a drift report is: its rows and own date range, and a label in
words (the training data, or a file registered with the model)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

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
