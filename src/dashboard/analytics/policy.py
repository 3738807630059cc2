"""Decision policies: a cutoff and an optional review band, and what they decide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dashboard.errors import DashboardError


class PolicyError(DashboardError, ValueError):
    pass


@dataclass(frozen=True)
class Policy:
    """Decline at or above `cutoff`; with a review band, scores in [review_from, cutoff) go to
    an officer and scores below `review_from` are approved. Scores are P(bad)."""

    model_id: str
    cutoff: float
    review_from: float | None = None
    version: int = 0
    effective_at: str | None = None
    actor: str | None = None
    rationale: str = ""

    def __post_init__(self) -> None:
        validate_policy(self.cutoff, self.review_from)

    @property
    def approve_below(self) -> float:
        return self.review_from if self.review_from is not None else self.cutoff

    def decide(self, scores: np.ndarray) -> np.ndarray:
        return decide(np.asarray(scores, dtype=float), self.cutoff, self.review_from)

    def to_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "cutoff": self.cutoff, "review_from": self.review_from,
                "version": self.version, "effective_at": self.effective_at, "actor": self.actor,
                "rationale": self.rationale}


def validate_policy(cutoff: float, review_from: float | None = None) -> None:
    if not isinstance(cutoff, (int, float)) or not 0.0 <= float(cutoff) <= 1.0:
        raise PolicyError(f"cutoff must be between 0 and 1, got {cutoff!r}")
    if review_from is not None:
        if not isinstance(review_from, (int, float)) or not 0.0 <= float(review_from) <= 1.0:
            raise PolicyError(f"the review band's lower edge must be between 0 and 1, got {review_from!r}")
        if review_from > cutoff:
            raise PolicyError(f"the review band's lower edge {review_from} is above the cutoff {cutoff}")


def decide(scores: np.ndarray, cutoff: float, review_from: float | None = None) -> np.ndarray:
    """'approve', 'review' or 'decline' per score."""
    lower = cutoff if review_from is None else review_from
    return np.where(scores < lower, "approve", np.where(scores < cutoff, "review", "decline"))
