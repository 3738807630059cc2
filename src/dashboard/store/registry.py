"""Which model plays which role now: card roles overridden by promotion events."""

from __future__ import annotations

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
