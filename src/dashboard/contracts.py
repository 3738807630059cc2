"""The data contracts (docs/ARCHITECTURE.md, "Contracts"): column names, kinds and the id rule."""

from __future__ import annotations

import re

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
