"""Policy versions as immutable events: the history, the one in force at any time, a new version's write.

Who may apply a policy and what a valid one is are checked in `services.policy`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dashboard.analytics.policy import Policy
from dashboard.store.files import exclusive_lock
from dashboard.store.store import Store

POLICY = "policy"


def _policy_lock(store: Store) -> Path:
    # Its own lock (not the ingest writers' lock) so a long ingest never blocks a policy change.
    return store.root / ".policy.lock"


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


def write_policy(store: Store, model_id: str, cutoff: float, review_from: float | None, rationale: str,
                 actor: str, effective_at: dt.datetime | None = None, *,
                 role: str | None = None) -> dict[str, Any]:
    """Append a new policy version, recording the one it replaced.

    Writers are serialized on a lock, so two at the same moment both get a version, each
    recording the one it replaced, and the later one is in force. Who may apply and what a
    valid policy is are checked by the caller (`services.policy.apply_policy`).
    """
    store.load_card(model_id)  # an unknown model is refused with the registered ids
    with exclusive_lock(_policy_lock(store), timeout=30.0):
        old = policy_in_force(store, model_id)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        when = effective_at or now
        payload: dict[str, Any] = {
            "model_id": model_id, "cutoff": float(cutoff),
            "review_from": None if review_from is None else float(review_from),
            "previous": {"cutoff": old.cutoff, "review_from": old.review_from, "version": old.version},
            "rationale": rationale.strip(), "effective_at": when.isoformat(timespec="microseconds"),
        }
        if role is not None:
            payload["role"] = role
        return store.append_event(POLICY, payload, actor=actor, at=now)


def policy_log(store: Store, model_id: str, at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The visible history: every version with who, when, old and new cutoffs and its status."""
    moment = (at or dt.datetime.now(dt.UTC).replace(tzinfo=None)).isoformat()
    current = policy_in_force(store, model_id, at)
    events = store.read_events(POLICY, where=lambda e: e.get("model_id") == model_id)
    events.sort(key=lambda e: (e.get("effective_at") or e["at"], e["at"], e["id"]))
    recorded = {i: e for i, e in enumerate(events, start=1)}
    rows = []
    for policy in policy_history(store, model_id):
        event = recorded.get(policy.version, {})
        previous = event.get("previous") or {}
        if policy.version == current.version:
            status = "in force"
        elif policy.effective_at is not None and policy.effective_at > moment:
            status = "scheduled"
        else:
            status = "superseded"
        rows.append({"version": policy.version, "status": status, "cutoff": policy.cutoff,
                     "review_from": policy.review_from, "previous_cutoff": previous.get("cutoff"),
                     "previous_review_from": previous.get("review_from"), "actor": policy.actor or "model card",
                     "role": event.get("role"), "recorded_at": event.get("at"),
                     "effective_at": policy.effective_at, "rationale": policy.rationale})
    return rows


def policy_export(store: Store, model_ids: list[str] | None = None,
                  at: dt.datetime | None = None) -> dict[str, Any]:
    """What the serving system needs: per model the policy in force and any scheduled ones."""
    moment = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ids = model_ids if model_ids is not None else sorted(store.list_cards())
    models = {}
    for model_id in ids:
        current = policy_in_force(store, model_id, moment)
        later = [p.to_dict() for p in policy_history(store, model_id)
                 if p.effective_at is not None and p.effective_at > moment.isoformat()]
        models[model_id] = {**current.to_dict(), "rule": _rule(current), "scheduled": later}
    return {"generated_at": moment.isoformat(timespec="seconds"),
            "score": "probability of the bad outcome (0..1)", "models": models}


def _rule(policy: Policy) -> str:
    if policy.review_from is None:
        return f"approve if score < {policy.cutoff}, else decline"
    return (f"approve if score < {policy.review_from}, review if {policy.review_from} <= score < "
            f"{policy.cutoff}, else decline")
