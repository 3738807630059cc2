"""Immutable events (overrides, policies, promotions, assumptions, registrations, audit): one
JSON file each, named so that writers never collide."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from dashboard.contracts import EVENT_PAYLOADS
from dashboard.store.errors import StoreError
from dashboard.store.files import write_json_atomic
from dashboard.store.layout import Layout

# An audit event per page view, a notification sent, and the API's and ingests' activity counts
# written every few seconds change no figure: caches stay valid (the rollups they come with do not).
UNVERSIONED_EVENTS = frozenset({"audit", "ingest_batch", "api_access", "notification", "alerts_run"})
log = logging.getLogger(__name__)


class EventLog:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def append(self, kind: str, payload: Mapping[str, Any], actor: str = "system",
               at: dt.datetime | None = None) -> dict[str, Any]:
        """Write one immutable event file and return the event; a payload key its kind does not
        declare (contracts.EVENT_PAYLOADS) is refused before anything is written."""
        declared = EVENT_PAYLOADS.get(kind)
        if declared is not None:
            unknown = sorted(set(payload) - set(declared.__annotations__))
            if unknown:
                raise StoreError(f"a {kind} event has no field {', '.join(unknown)} (contracts.{declared.__name__})")
        when = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        event = {"id": uuid.uuid4().hex, "kind": kind, "at": when.isoformat(timespec="microseconds"),
                 "actor": actor, **payload}
        folder = self.layout.event_dir(kind) / when.strftime("%Y-%m-%d")
        name = f"{when.strftime('%Y%m%dT%H%M%S%f')}-{event['id']}.json"
        write_json_atomic(folder / name, event)
        return event

    def read(self, kind: str, where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        """Events of one kind, oldest first; an unreadable file is skipped (and logged)."""
        events = []
        for path in sorted(self.layout.event_dir(kind).glob("*/*.json")):
            try:
                event = json.loads(path.read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                log.warning("skipped an unreadable event file %s: %s", path, exc)
                continue
            if where is None or where(event):
                events.append(event)
        events.sort(key=lambda e: (e.get("at", ""), e.get("id", "")))
        return events

    def signature(self) -> list[str]:
        """What changes when an event that figures depend on is written (part of Store.version)."""
        parts = []
        for p in sorted(self.layout.events.glob("*/*")):
            if p.parent.name in UNVERSIONED_EVENTS:
                continue
            with contextlib.suppress(FileNotFoundError):
                parts.append(f"{p}:{p.stat().st_mtime_ns}")
        return parts
