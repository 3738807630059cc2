"""The audit trail: who saw or changed what, when. Immutable events, read back by day folder.

Views of individual applications, logins, refusals and exports are written here as events
of kind "audit". Writes already leave their own immutable event (override, policy,
assumptions, promotion, registration: each with actor and time), so the trail reads those
too instead of writing every change twice. Nothing in this module edits or deletes an
event: `Store.append_event` writes each one once, atomically, under a unique name.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from dashboard.store.store import Store

AUDIT = "audit"
# Event kind -> the action name the trail shows for it.
WRITE_KINDS = {"override": "override", "policy": "apply_policy", "assumptions": "edit_assumptions",
               "promotion": "promote", "registration": "register_model"}
COLUMNS = ["at", "actor", "role", "action", "model_id", "application_id", "detail", "kind", "id"]
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 2_000  # characters kept of any free-text value; a hostile client cannot bloat the trail
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

log = logging.getLogger(__name__)


def _short(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def record_audit(store: Store, actor: str, role: str | None, action: str, *, model_id: str | None = None,
                 application_id: str | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Append one audit event; `action` is a short snake_case name (e.g. "view_application")."""
    if not isinstance(action, str) or not _ACTION_RE.match(action):
        raise ValueError(f"audit action {action!r} must be a short snake_case name")
    payload: dict[str, Any] = {
        "role": _short(role), "action": action, "model_id": _short(model_id),
        "application_id": _short(application_id),
        "detail": {str(k)[:64]: _short(v) for k, v in (detail or {}).items()},
    }
    return store.append_event(AUDIT, payload, actor=_short(actor) or "unknown")


def _day_folders(store: Store, kind: str, start: dt.date | None, end: dt.date | None) -> list[Any]:
    root = store.layout.event_dir(kind)
    if not root.exists():
        return []
    days = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or not _DAY_RE.match(folder.name):
            continue
        if start is not None and folder.name < start.isoformat():
            continue
        if end is not None and folder.name > end.isoformat():
            continue
        days.append(folder)
    return days


def _read(store: Store, kind: str, start: dt.date | None, end: dt.date | None) -> list[dict[str, Any]]:
    # Only the day folders in the window are opened: the trail grows with every view.
    events = []
    for folder in _day_folders(store, kind, start, end):
        for path in sorted(folder.glob("[!.]*.json")):   # not a write a crash cut short
            try:
                event = json.loads(path.read_text("utf-8"))
            except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
                log.warning("skipped an unreadable audit event %s: %s", path, exc)
                continue
            if isinstance(event, dict):
                events.append(event)
    return events


def _shown(value: Any, missing: str = "none") -> str:
    """A value of an event as a person reads it: "none" (or `missing`), never "None"."""
    return missing if value is None or value == "" else str(value)


def _write_detail(kind: str, e: dict[str, Any]) -> str:
    if kind == "override":
        return f"{_shown(e.get('from_decision'))} -> {_shown(e.get('to_decision'))}: {e.get('reason', '')}"
    if kind == "policy":
        prev = e.get("previous") or {}
        return (f"cutoff {_shown(prev.get('cutoff'))} -> {_shown(e.get('cutoff'))}, review from "
                f"{_shown(prev.get('review_from'), 'no band')} -> {_shown(e.get('review_from'), 'no band')}, "
                f"effective {_shown(e.get('effective_at'))}: {e.get('rationale', '')}")
    if kind == "assumptions":
        changed = e.get("changed") or {}
        prev = e.get("previous") or {}
        moves = "; ".join(f"{k}: {_shown(prev.get(k))} -> {_shown(v)}" for k, v in changed.items())
        return f"{moves}: {e.get('note', '')}".strip(": ")
    if kind == "promotion":
        return (f"champion {_shown(e.get('previous_champion'))} -> {_shown(e.get('model_id'))}: "
                f"{e.get('rationale', '')}")
    if kind == "registration":
        return f"version {e.get('version')}"
    return ""


def _row(kind: str, e: dict[str, Any]) -> dict[str, Any]:
    if kind == AUDIT:
        detail = e.get("detail") or {}
        text = "; ".join(f"{k}={v}" for k, v in detail.items()) if isinstance(detail, dict) else str(detail)
        action = e.get("action")
    else:
        text, action = _write_detail(kind, e), WRITE_KINDS[kind]
    # A registration's "role" is the model's (champion/challenger), not the person's.
    role = None if kind == "registration" else e.get("role")
    return {"at": e.get("at"), "actor": e.get("actor"), "role": role, "action": action,
            "model_id": e.get("model_id"), "application_id": e.get("application_id"),
            "detail": _short(text), "kind": kind, "id": e.get("id")}


def audit_log(store: Store, start: dt.date | None = None, end: dt.date | None = None, *,
              actors: Iterable[str] = (), actions: Iterable[str] = (), search: str = "") -> pd.DataFrame:
    """The trail, newest first, filtered in memory (no query text is built from the filters).

    `actors`/`actions`: exact values to keep (empty: all). `search`: a literal,
    case-insensitive substring of actor, application id, model id or detail.
    """
    rows = [_row(kind, e) for kind in (AUDIT, *WRITE_KINDS) for e in _read(store, kind, start, end)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame
    frame["at"] = pd.to_datetime(frame["at"], errors="coerce")
    if start is not None:
        frame = frame[frame["at"] >= pd.Timestamp(start)]
    if end is not None:
        frame = frame[frame["at"] < pd.Timestamp(end) + pd.Timedelta(days=1)]
    wanted_actors, wanted_actions = set(actors), set(actions)
    if wanted_actors:
        frame = frame[frame["actor"].isin(wanted_actors)]
    if wanted_actions:
        frame = frame[frame["action"].isin(wanted_actions)]
    needle = (search or "").strip().lower()
    if needle:
        hay = frame[["actor", "application_id", "model_id", "detail"]].fillna("").astype(str)
        hit = pd.Series(False, index=frame.index)
        for col in hay.columns:
            hit |= hay[col].str.lower().str.contains(needle, regex=False)
        frame = frame[hit]
    return frame.sort_values(["at", "id"], ascending=False, kind="stable").reset_index(drop=True)
