"""Policy versions as immutable events; the one in force at any time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dashboard.analytics.policy import Policy, validate_policy
from dashboard.store.store import Store

POLICY = "policy"


def _policy_from_event(event: dict[str, Any], version: int) -> Policy:
    return Policy(model_id=event["model_id"], cutoff=float(event["cutoff"]),
                  review_from=event.get("review_from"), version=version,
                  effective_at=event.get("effective_at"), actor=event.get("actor"),
                  rationale=event.get("rationale", ""))


def policy_history(store: Store, model_id: str) -> list[Policy]:
    """Version 0 is the card's cutoff; later versions are applied policies, oldest first."""
    card = store.load_card(model_id)
    history = [Policy(model_id=model_id, cutoff=card.cutoff, version=0, rationale="cutoff in the model card")]
    events = store.read_events(POLICY, where=lambda e: e.get("model_id") == model_id)
    events.sort(key=lambda e: (e.get("effective_at") or e["at"], e["at"], e["id"]))
    history += [_policy_from_event(e, i) for i, e in enumerate(events, start=1)]
    return history


def policy_in_force(store: Store, model_id: str, at: dt.datetime | None = None) -> Policy:
    """The latest version whose effective time is not after `at` (default: now)."""
    moment = (at or dt.datetime.now(dt.UTC).replace(tzinfo=None)).isoformat()
    current = None
    for policy in policy_history(store, model_id):
        if policy.effective_at is None or policy.effective_at <= moment:
            current = policy
    assert current is not None  # version 0 has no effective time
    return current


def apply_policy(store: Store, model_id: str, cutoff: float, review_from: float | None, rationale: str,
                 actor: str, effective_at: dt.datetime | None = None) -> dict[str, Any]:
    """Store a new policy version. The caller checks the actor's role first."""
    validate_policy(cutoff, review_from)
    if not rationale or not rationale.strip():
        raise ValueError("a rationale is required to change a policy")
    old = policy_in_force(store, model_id)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    when = effective_at or now
    return store.append_event(POLICY, {
        "model_id": model_id, "cutoff": float(cutoff),
        "review_from": None if review_from is None else float(review_from),
        "previous": {"cutoff": old.cutoff, "review_from": old.review_from, "version": old.version},
        "rationale": rationale.strip(), "effective_at": when.isoformat(timespec="microseconds"),
    }, actor=actor, at=now)
