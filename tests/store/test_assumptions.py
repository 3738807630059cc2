"""Assumptions in force: the TOML file overlaid by the latest change event."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.analytics.assumptions import AssumptionsError
from dashboard.services.assumptions import change_assumptions
from dashboard.services.policy import PolicyPermissionError
from dashboard.store import Store
from dashboard.store.assumptions import (
    ASSUMPTIONS,
    assumptions_history,
    assumptions_in_force,
    file_assumptions,
)


def test_defaults_come_from_the_file(empty_store: Store, tmp_path: Path) -> None:
    config = tmp_path / "business.toml"
    config.write_text("[loan]\naverage_amount = 5000.0\n[review]\ncost_per_review = 10.0\n", "utf-8")
    a = assumptions_in_force(empty_store, config)
    assert a.average_amount == 5000.0 and a.cost_per_review == 10.0
    assert a == file_assumptions(config)
    assert assumptions_in_force(empty_store).average_amount == 12000.0  # the shipped config


def test_changes_are_events_and_the_latest_is_in_force(empty_store: Store) -> None:
    change_assumptions(empty_store, {"cost_per_review": 30.0}, actor="ann", role="data_scientist", note="new rates")
    change_assumptions(empty_store, {"average_amount": 15000.0}, actor="bob", role="admin")
    a = assumptions_in_force(empty_store)
    assert a.cost_per_review == 30.0 and a.average_amount == 15000.0  # earlier change kept
    events = empty_store.read_events(ASSUMPTIONS)
    assert len(events) == 2 and events[1]["previous"] == {"average_amount": 12000.0}
    history = assumptions_history(empty_store)
    assert history[0]["changes"] == "cost_per_review: 22.0 -> 30.0" and history[0]["note"] == "new rates"
    assert history[1]["actor"] == "bob"


def test_bad_changes_are_refused_and_nothing_is_written(empty_store: Store) -> None:
    with pytest.raises(PolicyPermissionError, match="may not change the business assumptions"):
        change_assumptions(empty_store, {"cost_per_review": 30.0}, actor="x", role="executive")
    with pytest.raises(AssumptionsError, match=r"\[review\] cost_per_review must not be negative"):
        change_assumptions(empty_store, {"cost_per_review": -1.0}, actor="x", role="admin")
    with pytest.raises(AssumptionsError, match="fraction between 0 and 1"):
        change_assumptions(empty_store, {"loss_given_default": 1.5}, actor="x", role="admin")
    with pytest.raises(AssumptionsError, match="unknown assumption"):
        change_assumptions(empty_store, {"bogus": 1.0}, actor="x", role="admin")
    with pytest.raises(AssumptionsError, match="nothing to change"):
        change_assumptions(empty_store, {"cost_per_review": 22.0}, actor="x", role="admin")
    assert empty_store.read_events(ASSUMPTIONS) == []
