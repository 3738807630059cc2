"""Policy versions as events: roles, rationale, history, concurrent appliers, export."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from dashboard.services.policy import PolicyPermissionError, apply_policy
from dashboard.store import Store, StoreError
from dashboard.store.policy import (
    POLICY,
    policy_export,
    policy_history,
    policy_in_force,
    policy_log,
)


def test_only_permitted_roles_may_apply(store_copy: Store) -> None:
    for role in ("executive", "credit_officer", "nobody"):
        with pytest.raises(PolicyPermissionError, match="only data_scientist and admin may"):
            apply_policy(store_copy, "gbm_champion", 0.2, None, "why", actor=f"local:{role}", role=role)
    assert store_copy.read_events(POLICY) == []
    for role in ("data_scientist", "admin"):
        apply_policy(store_copy, "gbm_champion", 0.2, None, "why", actor=f"local:{role}", role=role)
    assert len(store_copy.read_events(POLICY)) == 2


def test_rationale_model_and_values_are_checked(store_copy: Store) -> None:
    with pytest.raises(ValueError, match="rationale is required"):
        apply_policy(store_copy, "gbm_champion", 0.2, None, "   ", actor="a", role="admin")
    with pytest.raises(ValueError, match="above the cutoff"):
        apply_policy(store_copy, "gbm_champion", 0.2, 0.25, "x", actor="a", role="admin")
    with pytest.raises(ValueError, match="between 0 and 1"):
        apply_policy(store_copy, "gbm_champion", 1.2, None, "x", actor="a", role="admin")
    with pytest.raises(StoreError, match="not registered"):
        apply_policy(store_copy, "no_such_model", 0.2, None, "x", actor="a", role="admin")
    assert store_copy.read_events(POLICY) == []


def test_event_records_who_when_old_and_new(store_copy: Store) -> None:
    event = apply_policy(store_copy, "gbm_champion", 0.2, 0.17, "Q3 review", actor="local:admin", role="admin")
    assert event["actor"] == "local:admin" and event["role"] == "admin"
    assert event["previous"] == {"cutoff": 0.15, "review_from": None, "version": 0}
    assert event["cutoff"] == 0.2 and event["review_from"] == 0.17 and event["rationale"] == "Q3 review"
    assert event["effective_at"] and event["at"]
    current = policy_in_force(store_copy, "gbm_champion")
    assert (current.version, current.cutoff, current.review_from) == (1, 0.2, 0.17)
    log = policy_log(store_copy, "gbm_champion")
    assert [r["status"] for r in log] == ["superseded", "in force"]
    assert log[1]["previous_cutoff"] == 0.15 and log[1]["actor"] == "local:admin"


def test_a_future_policy_is_scheduled_not_in_force(store_copy: Store) -> None:
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=3)
    apply_policy(store_copy, "gbm_champion", 0.3, None, "next quarter", actor="a", effective_at=later, role="admin")
    assert policy_in_force(store_copy, "gbm_champion").cutoff == 0.15
    assert policy_in_force(store_copy, "gbm_champion", later + dt.timedelta(seconds=1)).cutoff == 0.3
    assert policy_log(store_copy, "gbm_champion")[-1]["status"] == "scheduled"
    exported = policy_export(store_copy, ["gbm_champion"])["models"]["gbm_champion"]
    assert exported["cutoff"] == 0.15 and exported["scheduled"][0]["cutoff"] == 0.3


def test_two_people_applying_at_the_same_moment(store_copy: Store) -> None:
    barrier = threading.Barrier(2)
    results: dict[str, dict] = {}
    failures: list[BaseException] = []

    def apply(name: str, cutoff: float) -> None:
        try:
            barrier.wait()
            results[name] = apply_policy(store_copy, "gbm_champion", cutoff, None, f"by {name}",
                                         actor=name, role="data_scientist")
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=apply, args=(n, c)) for n, c in (("ann", 0.18), ("bob", 0.22))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    events = store_copy.read_events(POLICY)
    assert len(events) == 2  # both versions stored
    first, second = sorted(results.values(), key=lambda e: e["at"])
    # Serialized: the later one records the earlier one as what it replaced, and is in force.
    assert second["previous"]["cutoff"] == first["cutoff"] and second["previous"]["version"] == 1
    assert first["previous"]["cutoff"] == 0.15
    current = policy_in_force(store_copy, "gbm_champion")
    assert current.cutoff == second["cutoff"] and current.version == 2
    assert [p.cutoff for p in policy_history(store_copy, "gbm_champion")] == [0.15, first["cutoff"], second["cutoff"]]


def test_export_covers_every_model(small_store: Store) -> None:
    data = policy_export(small_store)
    assert set(data["models"]) == set(small_store.list_cards())
    champion = data["models"]["gbm_champion"]
    assert champion["rule"] == "approve if score < 0.15, else decline" and champion["version"] == 0
