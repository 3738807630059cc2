"""Business assumptions: the ones in force, their history, and a change with its role check.

Only data scientists and admins may change them (checked here, whatever the page showed);
`store.assumptions` reads the file and the change events and writes a change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboard.services.policy import check_policy_role
from dashboard.store.assumptions import (
    assumptions_history,
    assumptions_in_force,
    write_assumptions_change,
)
from dashboard.store.config import business_config_path

if TYPE_CHECKING:
    from dashboard.store import Store


def change_assumptions(store: Store, values: dict[str, Any], actor: str, role: str,
                       note: str = "", path: Path | None = None) -> dict[str, Any]:
    """Store a change of assumptions (only data_scientist and admin).

    `values` holds the fields to change (flat names as in BusinessAssumptions); a bad
    value (negative, not a number, a fraction above 1, an unknown name) is refused with
    the TOML section and key named, and nothing is written.
    """
    check_policy_role(role, "change the business assumptions")
    return write_assumptions_change(store, values, actor, role, note, path)


__all__ = ["assumptions_history", "assumptions_in_force", "business_config_path", "change_assumptions"]
