"""Which model plays which role now: card roles overridden by promotion events (read and written)."""

from __future__ import annotations

from typing import Any

from dashboard.errors import DashboardError
from dashboard.store.files import exclusive_lock
from dashboard.store.store import Store

PROMOTION = "promotion"


def current_roles(store: Store) -> dict[str, str]:
    """Model id -> 'champion' or 'challenger'. The latest promotion names the champion."""
    cards = store.list_cards()
    roles = {mid: card.role for mid, card in cards.items()}
    promotions = [e for e in store.read_events(PROMOTION) if e.get("model_id") in cards]
    if promotions:
        champion = promotions[-1]["model_id"]
        roles = {mid: ("champion" if mid == champion else "challenger") for mid in roles}
    return roles


def champion_id(store: Store) -> str | None:
    roles = current_roles(store)
    champions = sorted(m for m, r in roles.items() if r == "champion")
    return champions[0] if champions else (sorted(roles)[0] if roles else None)


LOCK_WAIT = 120.0  # seconds to wait for a running ingest before giving up


class PromotionError(DashboardError, ValueError):
    """A promotion that cannot go ahead; the message says why."""


def write_promotion(store: Store, model_id: str, rationale: str, actor: str, role: str) -> dict[str, Any]:
    """Record `model_id` as the champion: an immutable "promotion" event.

    The event is written under the writers' lock, so it lands between two batches of logs and
    a writer that reads `champion_id` per batch never splits a batch across champions. Who may
    promote and the rationale are checked by the caller (`services.registry.promote`).
    """
    with exclusive_lock(store.layout.lock, timeout=LOCK_WAIT):
        previous = champion_id(store)
        if previous == model_id:
            raise PromotionError(f"{model_id} is already the champion")
        return store.append_event(PROMOTION, {"model_id": model_id, "previous_champion": previous,
                                              "rationale": rationale, "role": role}, actor=actor)


def promotion_history(store: Store) -> list[dict[str, Any]]:
    """Promotion events, newest first."""
    return list(reversed(store.read_events(PROMOTION)))
