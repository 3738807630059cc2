"""Policies: what a cutoff and a review band decide, and the checks on them."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.analytics.policy import Policy, PolicyError, decide, validate_policy


def test_decide_with_and_without_a_review_band() -> None:
    scores = np.array([0.0, 0.099, 0.1, 0.149, 0.15, 0.9])
    assert list(decide(scores, 0.15)) == ["approve"] * 4 + ["decline"] * 2
    assert list(decide(scores, 0.15, 0.1)) == ["approve", "approve", "review", "review", "decline", "decline"]
    policy = Policy("m", cutoff=0.15, review_from=0.1)
    assert policy.approve_below == 0.1
    assert list(policy.decide(scores)) == list(decide(scores, 0.15, 0.1))
    assert policy.to_dict()["review_from"] == 0.1


@pytest.mark.parametrize(("cutoff", "review_from", "message"), [
    (1.5, None, "cutoff must be between 0 and 1, got 1.5"),
    (-0.01, None, "cutoff must be between 0 and 1"),
    (0.2, 0.3, "lower edge 0.3 is above the cutoff 0.2"),
    (0.2, -0.1, "lower edge must be between 0 and 1"),
])
def test_bad_policies_are_refused_with_the_reason(cutoff: float, review_from: float | None, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        validate_policy(cutoff, review_from)
    with pytest.raises(PolicyError, match=message):
        Policy("m", cutoff=cutoff, review_from=review_from)
