"""The ingest and API activity events, read by day folder so a page never opens the whole history."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from dashboard.store.store import Store

log = logging.getLogger(__name__)


def _day_folders(store: Store, kind: str) -> list[Any]:
    root = store.layout.event_dir(kind)
    return sorted((p for p in root.iterdir() if p.is_dir()), reverse=True) if root.is_dir() else []


def _load(path: Any) -> dict[str, Any] | None:
    try:
        event = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        log.warning("skipped an unreadable event %s: %s", path, exc)
        return None
    return event if isinstance(event, dict) else None


def load_events_since(store: Store, kind: str, since: dt.datetime) -> list[dict[str, Any]]:
    """Events of `kind` at or after `since` (naive UTC), oldest first; only those days' folders are read."""
    events = []
    for folder in _day_folders(store, kind):
        if folder.name < since.date().isoformat():
            break
        for path in sorted(folder.glob("*.json")):
            event = _load(path)
            if event is not None and str(event.get("at", "")) >= since.isoformat():
                events.append(event)
    return sorted(events, key=lambda e: str(e.get("at", "")))


def load_latest_ingest_by_source(store: Store) -> dict[str, dict[str, Any]]:
    """The newest `ingest_batch` event of each source, reading the newest files first."""
    found: dict[str, dict[str, Any]] = {}
    for folder in _day_folders(store, "ingest_batch"):
        for path in sorted(folder.glob("*.json"), reverse=True):
            event = _load(path)
            if event is not None and event.get("source") not in found:
                found[str(event.get("source"))] = event
        if {"file", "api", "python"} <= set(found):
            break
    return found
