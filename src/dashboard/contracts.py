"""The data contracts (docs/ARCHITECTURE.md, "Contracts"): column names, kinds and the id rule."""

from __future__ import annotations

import re
from typing import Any, TypedDict

PREDICTION_REQUIRED = ("prediction_id", "model_id", "timestamp", "application_id", "score")
PREDICTION_OPTIONAL = ("decision", "latency_ms")
OUTCOME_REQUIRED = ("application_id", "outcome_timestamp", "label")
OUTCOME_OPTIONAL = ("loan_amount", "loss_amount")
DECISIONS = ("approve", "decline", "review")
ROLES = ("credit_officer", "executive", "data_scientist", "admin")
CARD_ROLES = ("champion", "challenger")

# Ids become folder names in the store: no separators, no dots first, bounded length.
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def is_valid_id(value: object) -> bool:
    """True when `value` is safe to use as a model id (and hence as a folder name)."""
    return isinstance(value, str) and bool(_ID_RE.match(value)) and ".." not in value


def check_id(value: object, what: str = "model id") -> str:
    """Return `value` if it is a valid id, else raise ValueError with a readable reason."""
    if not is_valid_id(value):
        raise ValueError(
            f"{what} {value!r} is not allowed: use 1 to 64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return str(value)


# ---------------------------------------------------------------------------- events
# Every event file holds the common fields and one kind's payload; `store.events` refuses a
# payload key its kind does not declare, so an event's shape is this contract, not a habit.
class EventFields(TypedDict):
    id: str
    kind: str
    at: str            # ISO time (UTC, naive)
    actor: str


class OverridePayload(TypedDict, total=False):
    application_id: str
    model_id: str
    from_decision: str | None
    to_decision: str
    reason: str
    role: str


class PolicyPayload(TypedDict, total=False):
    model_id: str
    cutoff: float
    review_from: float | None
    previous: dict[str, Any]         # cutoff, review_from, version replaced
    rationale: str
    effective_at: str
    role: str


class PromotionPayload(TypedDict, total=False):
    model_id: str
    previous_champion: str | None
    rationale: str
    role: str


class AssumptionsPayload(TypedDict, total=False):
    values: dict[str, float]         # every value that differs from the file, after the change
    changed: dict[str, float]
    previous: dict[str, float]
    note: str
    role: str


class RegistrationPayload(TypedDict, total=False):
    model_id: str
    version: str
    role: str
    replaced: bool


class AuditPayload(TypedDict, total=False):
    role: str | None
    action: str
    model_id: str | None
    application_id: str | None
    detail: dict[str, str | None]


class IngestBatchPayload(TypedDict, total=False):
    source: str                      # "file" (dashboard ingest), "python" (Monitor) or "api"
    log: str                         # "predictions" or "outcomes"
    rows: int
    stored: int
    skipped: int
    rejected: int
    batches: int                     # writes summed in this event (the API coalesces them)
    first_at: str                    # ISO time (UTC) of the first and last write counted
    last_at: str


class ApiAccessPayload(TypedDict, total=False):
    token: str                       # the token's name; "anonymous" for no or an unknown token
    window_seconds: float            # the span these counts cover (the API writes one event per span)
    requests: int
    statuses: dict[str, int]         # HTTP status -> requests
    routes: dict[str, int]           # route -> requests
    rows: int
    rejected_rows: int


class NotificationPayload(TypedDict, total=False):
    """One message of `dashboard alerts run` to one channel: the state that sends each fired rule
    once per period and a "resolved" message when it clears (services.notifications)."""
    model_id: str
    rule: str
    channel: str
    message: str                     # fired or resolved
    period: str                      # the month the rule was judged on (YYYY-MM)
    severity: str                    # warning or critical (of the alert fired, for resolved too)
    value: float
    threshold: float
    delivered: bool
    attempts: int
    error: str | None


class AlertsRunPayload(TypedDict, total=False):
    models: list[str]
    fired: int                       # alerts in force across the models
    sent: int
    failed: int
    failed_channels: list[str]
    config: str


EventPayload = (OverridePayload | PolicyPayload | PromotionPayload | AssumptionsPayload | RegistrationPayload
                | AuditPayload | IngestBatchPayload | ApiAccessPayload | NotificationPayload | AlertsRunPayload)
EVENT_PAYLOADS: dict[str, type] = {
    "override": OverridePayload, "policy": PolicyPayload, "promotion": PromotionPayload,
    "assumptions": AssumptionsPayload, "registration": RegistrationPayload, "audit": AuditPayload,
    "ingest_batch": IngestBatchPayload, "api_access": ApiAccessPayload,
    "notification": NotificationPayload, "alerts_run": AlertsRunPayload,
}
