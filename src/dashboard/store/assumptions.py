"""Business assumptions in force: the TOML config overlaid by the latest change event.

Each change on the page is an immutable event of kind "assumptions" holding the full set
of values that differ from the file (so the latest event alone says what is in force)
plus the previous values, who, when and why. Who may change them: `services.assumptions`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from dashboard.analytics.assumptions import (
    KEYS,
    AssumptionsError,
    BusinessAssumptions,
    parse_assumptions,
)
from dashboard.store.config import business_config_path
from dashboard.store.files import exclusive_lock
from dashboard.store.store import Store

ASSUMPTIONS = "assumptions"


def _file_data(path: Path | None) -> tuple[dict[str, Any], str]:
    chosen = path or business_config_path()
    try:
        return tomllib.loads(chosen.read_text("utf-8")), str(chosen)
    except tomllib.TOMLDecodeError as exc:
        raise AssumptionsError(f"{chosen}: not valid TOML: {exc}") from None


def file_assumptions(path: Path | None = None) -> BusinessAssumptions:
    data, source = _file_data(path)
    return parse_assumptions(data, source)


def _latest(store: Store) -> dict[str, Any] | None:
    events = store.read_events(ASSUMPTIONS)
    return events[-1] if events else None


def assumptions_in_force(store: Store, path: Path | None = None) -> BusinessAssumptions:
    """File values, then the overrides of the latest change event."""
    data, source = _file_data(path)
    latest = _latest(store)
    overrides = {k: v for k, v in (latest or {}).get("values", {}).items() if k in KEYS}
    return parse_assumptions(data, f"{source} with the change of {latest['at']}" if latest else source,
                             overrides)


def assumptions_history(store: Store) -> list[dict[str, Any]]:
    """Every change, oldest first: who, when, why, and which values moved from what to what."""
    rows = []
    for event in store.read_events(ASSUMPTIONS):
        previous = event.get("previous", {})
        changed = {k: (previous.get(k), v) for k, v in event.get("changed", {}).items()}
        rows.append({"at": event["at"], "actor": event.get("actor"), "role": event.get("role"),
                     "note": event.get("note", ""),
                     "changes": "; ".join(f"{k}: {a} -> {b}" for k, (a, b) in changed.items())})
    return rows


def write_assumptions_change(store: Store, values: dict[str, Any], actor: str, role: str,
                             note: str = "", path: Path | None = None) -> dict[str, Any]:
    """Store a change of assumptions as one event, under the assumptions lock.

    `values` holds the fields to change (flat names as in BusinessAssumptions); a bad
    value (negative, not a number, a fraction above 1, an unknown name) is refused with
    the TOML section and key named, and nothing is written. Who may change them is checked
    by the caller (`services.assumptions.change_assumptions`).
    """
    data, source = _file_data(path)
    with exclusive_lock(store.root / ".assumptions.lock", timeout=30.0):
        current = assumptions_in_force(store, path)
        latest = _latest(store)
        overrides = dict((latest or {}).get("values", {}))
        overrides.update(values)
        updated = parse_assumptions(data, "the changed assumptions", overrides)  # validates everything
        before, after = current.to_dict(), updated.to_dict()
        changed = {k: after[k] for k in values if k in after and after[k] != before[k]}
        if not changed:
            raise AssumptionsError("nothing to change: the values equal the assumptions in force")
        base = parse_assumptions(data, source).to_dict()
        stored = {k: v for k, v in after.items() if v != base[k]}
        return store.append_event(ASSUMPTIONS, {
            "values": stored, "changed": changed, "previous": {k: before[k] for k in changed},
            "note": note.strip(), "role": role,
        }, actor=actor, at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
