"""Decision policies: who may apply one, its checks before the write, and the policy reads.

Owns the role check of every policy-like write (a policy version, the business assumptions):
it runs here, on the server, whatever the page showed. The versions themselves are events
read and written by `store.policy`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from dashboard.analytics.policy import validate_policy
from dashboard.errors import DashboardError
from dashboard.store.policy import (
    policy_export,
    policy_in_force,
    policy_log,
    write_policy,
)

if TYPE_CHECKING:
    from dashboard.store import Store

# Roles allowed to change a decision policy or the business assumptions; checked in the
# write functions themselves, not only by hiding buttons.
POLICY_ROLES = ("data_scientist", "admin")


class PolicyPermissionError(DashboardError, PermissionError):
    """The acting role may not change policies."""


def check_policy_role(role: str | None, what: str = "apply a decision policy") -> None:
    if role not in POLICY_ROLES:
        raise PolicyPermissionError(
            f"the role {role!r} may not {what}; only {' and '.join(POLICY_ROLES)} may")


def apply_policy(store: Store, model_id: str, cutoff: float, review_from: float | None, rationale: str,
                 actor: str, effective_at: dt.datetime | None = None, *,
                 role: str | None = None) -> dict[str, Any]:
    """Store a new policy version.

    With `role` (the page and any user-facing caller pass it), only data_scientist and
    admin may apply: anyone else is refused here, whatever the UI showed. Appliers are
    serialized on a lock, so two at the same moment both get a version, each recording
    the one it replaced, and the later one is in force.
    """
    if role is not None:
        check_policy_role(role)
    validate_policy(cutoff, review_from)
    if not rationale or not rationale.strip():
        raise ValueError("a rationale is required to change a policy")
    return write_policy(store, model_id, cutoff, review_from, rationale, actor, effective_at, role=role)


__all__ = ["POLICY_ROLES", "PolicyPermissionError", "apply_policy", "check_policy_role", "policy_export",
           "policy_in_force", "policy_log"]
