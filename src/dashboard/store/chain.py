"""The hash chain's files: appending a linked event under its kind's lock, and reading a range
of days back to verify (the hashing and the checks are dashboard/chain.py, pure).

Beside each chained kind's day folder of events sits `.head` (the last seq and hash), written
after the event, both published durably. Appends to one kind's day serialize on its `.lock`
(flock, across processes); a crash between the event and its head leaves the head one behind,
which the next append notices (the folder holds more events than the head counted) and reads
the day again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dashboard.chain import ChainReport, Head, head_of, link, verify_day
from dashboard.store.files import exclusive_lock, make_dirs_durable, write_json_atomic
from dashboard.store.layout import Layout

HEAD_FILE = ".head"
LOCK_FILE = ".lock"
# High-volume activity counts, not records: chaining them would serialize the HTTP API's and the
# notifier's writes on a lock for no audit value (docs/ARCHITECTURE.md, "The chain").
UNCHAINED_EVENTS = frozenset({"ingest_batch", "api_access", "notification", "alerts_run"})
log = logging.getLogger(__name__)


def _event_names(folder: Path) -> list[str]:
    try:
        return [n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith(".")]
    except FileNotFoundError:
        return []


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:   # a day without a head: written before the chain existed
        return None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        log.warning("unreadable chain file %s: %s", path, exc)
        return None
    return value if isinstance(value, dict) else None


def _read_head(folder: Path) -> tuple[Head, int] | None:
    """The day's head and how many event files the folder held when it was written."""
    data = _read_json(folder / HEAD_FILE)
    if data is None:
        return None
    try:
        return Head(int(data["seq"]), str(data["hash"])), int(data["files"])
    except (KeyError, TypeError, ValueError):
        return None


def _day_events(folder: Path) -> list[dict[str, Any]]:
    events = (_read_json(folder / n) for n in sorted(_event_names(folder)))
    return [e for e in events if e is not None]


def append_linked(layout: Layout, event: Mapping[str, Any], day: str, name: str) -> dict[str, Any]:
    """Write `event` as the next link of its kind's day chain, then the day's head; the event as stored."""
    kind = str(event["kind"])
    folder = layout.event_dir(kind) / day
    make_dirs_durable(folder)
    with exclusive_lock(folder / LOCK_FILE, timeout=30.0):
        names = _event_names(folder)
        known = _read_head(folder) if names else None
        if known is not None and known[1] == len(names):
            head = known[0]
        else:  # no head yet, or an append died between its event and its head
            head = head_of(kind, day, _day_events(folder))
        linked = link(event, head.seq + 1, head.hash)
        write_json_atomic(folder / name, linked)
        write_json_atomic(folder / HEAD_FILE, {"seq": linked["seq"], "hash": linked["hash"], "files": len(names) + 1})
    return linked


def chained_kinds(layout: Layout) -> list[str]:
    if not layout.events.is_dir():
        return []
    return sorted(p.name for p in layout.events.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and p.name not in UNCHAINED_EVENTS)


def verify_chain(layout: Layout, start: dt.date | None = None, end: dt.date | None = None) -> ChainReport:
    """Every chained kind's days between `start` and `end` (inclusive; None: unbounded) checked."""
    report = ChainReport()
    for kind in chained_kinds(layout):
        for folder in sorted(p for p in layout.event_dir(kind).iterdir() if p.is_dir() and _is_day(p.name)):
            if (start and folder.name < start.isoformat()) or (end and folder.name > end.isoformat()):
                continue
            head = _read_head(folder)
            report.days.append(verify_day(kind, folder.name, _day_events(folder), head[0] if head else None))
    report.days.sort(key=lambda d: (d.day, d.kind))   # the first break is the earliest
    return report


def _is_day(name: str) -> bool:
    try:
        dt.date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10
