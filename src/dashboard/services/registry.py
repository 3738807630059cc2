"""Which model plays which role, and a promotion with its checks (who may promote, the rationale).

Only data scientists and admins may promote (checked here, whatever the caller did); the
rationale is mandatory and the model must be registered. `store.registry` reads the roles
and writes the promotion event under the writers' lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dashboard.store.registry import (
    PromotionError,
    champion_id,
    current_roles,
    promotion_history,
    write_promotion,
)

if TYPE_CHECKING:
    from dashboard.store import Store

PROMOTERS = ("data_scientist", "admin")


def promote(store: Store, model_id: str, rationale: str, actor: str, role: str) -> dict[str, Any]:
    """Make `model_id` the champion, recorded as an immutable "promotion" event.

    Checked here, whatever the caller did: only data scientists and admins may promote, the
    rationale is mandatory, the model must be registered and not already the champion. The
    event is written under the writers' lock, so it lands between two batches of logs and
    a writer that reads `champion_id` per batch never splits a batch across champions.
    """
    if role not in PROMOTERS:
        raise PermissionError(f"the role {role!r} may not promote models (only {' or '.join(PROMOTERS)})")
    text = (rationale or "").strip()
    if not text:
        raise PromotionError("a rationale is required to promote a model")
    if model_id not in store.list_cards():
        raise PromotionError(f"model {model_id!r} is not registered")
    return write_promotion(store, model_id, text, actor, role)


__all__ = ["PROMOTERS", "PromotionError", "champion_id", "current_roles", "promote", "promotion_history"]
