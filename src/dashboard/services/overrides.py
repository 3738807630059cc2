"""Overrides of a decision: the checks before one is recorded (role, reason, target) and the reads.

A role that may not override is refused here, on the server, not only by hiding the form;
`store.decisions` writes the event and reads the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dashboard.analytics.access import require_permission
from dashboard.errors import DashboardError
from dashboard.store.decisions import latest_overrides, override_history, write_override

if TYPE_CHECKING:
    from dashboard.store import Store

OVERRIDE_TARGETS = ("approve", "decline")


class OverrideError(DashboardError, ValueError):
    """An override that cannot be recorded; the message says what to fix."""


def record_override(store: Store, application_id: str, model_id: str, from_decision: str | None,
                    to_decision: str, reason: str, actor: str, *, role: str | None = None) -> dict[str, Any]:
    """Store an override as an immutable event; refuse one without a reason or by a role
    that may not override (checked here, on the server, not only by hiding the form)."""
    if role is not None:
        require_permission(role, "override")
    text = (reason or "").strip()
    if not text:
        raise OverrideError("a reason is required to override a decision")
    if to_decision not in OVERRIDE_TARGETS:
        raise OverrideError(f"an override must approve or decline, not {to_decision!r}")
    if from_decision == to_decision:
        raise OverrideError(f"the decision is already {to_decision}; nothing to override")
    if not str(application_id).strip():
        raise OverrideError("an application id is required")
    return write_override(store, application_id, model_id, from_decision, to_decision, text, actor, role=role)


__all__ = ["OVERRIDE_TARGETS", "OverrideError", "latest_overrides", "override_history", "record_override"]
