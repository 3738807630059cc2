"""Reading recorded overrides (officer decisions) the same way everywhere (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd


def override_day(event: Mapping[str, Any]) -> dt.date | None:
    """The day a recorded override counts for: the original decision's time if the event names
    it, else when it was recorded."""
    for key in ("decided_at", "at"):
        value = event.get(key)
        if value:
            try:
                return pd.Timestamp(value).date()
            except (ValueError, TypeError):
                continue
    return None


def override_outcome(event: Mapping[str, Any]) -> str | None:
    for key in ("to_decision", "new_decision", "decision"):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def override_reason(event: Mapping[str, Any]) -> str:
    for key in ("reason", "rationale", "note", "comment"):
        value = event.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
