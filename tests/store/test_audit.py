"""The audit trail: immutable events, the writes' own events merged in, filters, CSV export."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard.services.audit import audit_csv
from dashboard.services.overrides import record_override
from dashboard.services.policy import apply_policy
from dashboard.services.registry import promote
from dashboard.store import Store
from dashboard.store.audit import MAX_TEXT, audit_log, record_audit

TODAY = dt.datetime.now(dt.UTC).date()


def _files(store: Store) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in (store.root / "events").rglob("*.json")}


def test_record_and_read_back(empty_store: Store) -> None:
    event = record_audit(empty_store, "ann@bank.example", "credit_officer", "view_application",
                         model_id="gbm_champion", application_id="APP-1", detail={"tab": "why"})
    assert event["actor"] == "ann@bank.example" and event["kind"] == "audit"
    log = audit_log(empty_store)
    assert len(log) == 1
    row = log.iloc[0]
    assert (row["actor"], row["role"], row["action"], row["application_id"], row["detail"]) == (
        "ann@bank.example", "credit_officer", "view_application", "APP-1", "tab=why")
    assert pd.Timestamp(row["at"]).date() == TODAY


def test_events_are_append_only_files(empty_store: Store) -> None:
    record_audit(empty_store, "a", "admin", "login")
    before = _files(empty_store)
    record_audit(empty_store, "a", "admin", "login")
    after = _files(empty_store)
    assert len(after) == len(before) + 1
    assert all(after[p] == content for p, content in before.items())  # nothing rewritten
    assert len(audit_log(empty_store)) == 2


def test_audit_events_do_not_invalidate_caches(store_copy: Store) -> None:
    version = store_copy.version()
    record_audit(store_copy, "a", "admin", "view_application", application_id="APP-00000001")
    assert store_copy.version() == version


def test_writes_appear_in_the_trail(store_copy: Store) -> None:
    record_override(store_copy, "APP-00000001", "gbm_champion", "decline", "approve", "income verified", "ann")
    apply_policy(store_copy, "gbm_champion", 0.31, None, "tighter after drift", "dan", role="data_scientist")
    promote(store_copy, "logit_scorecard", "more explainable", "dan", "data_scientist")
    log = audit_log(store_copy, TODAY, TODAY)
    actions = set(log["action"])
    assert {"override", "apply_policy", "promote"} <= actions
    override = log[log["action"] == "override"].iloc[0]
    assert override["actor"] == "ann" and override["application_id"] == "APP-00000001"
    assert override["detail"] == "decline -> approve: income verified"
    policy = log[log["action"] == "apply_policy"].iloc[0]
    assert "-> 0.31" in policy["detail"] and "tighter after drift" in policy["detail"]
    assert list(log["at"]) == sorted(log["at"], reverse=True)  # newest first
    # a band where there was none reads as such, never "None"
    apply_policy(store_copy, "gbm_champion", 0.25, 0.18, "a review band", "dan", role="data_scientist")
    details = " | ".join(audit_log(store_copy, TODAY, TODAY)["detail"])
    assert "review from no band -> 0.18" in details and "None" not in details


def test_filters(empty_store: Store) -> None:
    record_audit(empty_store, "ann", "credit_officer", "view_application", application_id="APP-1")
    record_audit(empty_store, "bob", "admin", "export_audit", detail={"rows": "3"})
    record_audit(empty_store, "ann", "credit_officer", "view_application", application_id="APP-2")
    assert len(audit_log(empty_store, actors=["ann"])) == 2
    assert list(audit_log(empty_store, actions=["export_audit"])["actor"]) == ["bob"]
    assert list(audit_log(empty_store, search="app-2")["application_id"]) == ["APP-2"]
    assert audit_log(empty_store, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)).empty
    assert len(audit_log(empty_store, TODAY, TODAY)) == 3


@pytest.mark.parametrize("needle", ["' OR 1=1 --", "%", ".*", "APP-[12]", "\\", "'; DROP TABLE r_daily; --"])
def test_search_is_literal(empty_store: Store, needle: str) -> None:
    record_audit(empty_store, "ann", "credit_officer", "view_application", application_id="APP-1")
    assert audit_log(empty_store, search=needle).empty


def test_search_matches_hostile_text_literally(empty_store: Store) -> None:
    record_audit(empty_store, "ann", "credit_officer", "view_application", application_id="x' OR 1=1 --")
    assert list(audit_log(empty_store, search="' OR 1=1")["application_id"]) == ["x' OR 1=1 --"]


@pytest.mark.parametrize("action", ["", "View", "drop table", "a" * 41, "../x", None])
def test_bad_action_names_are_refused(empty_store: Store, action: object) -> None:
    with pytest.raises(ValueError, match="snake_case"):
        record_audit(empty_store, "a", "admin", action)  # type: ignore[arg-type]
    assert audit_log(empty_store).empty


def test_hostile_values_stay_data_and_are_bounded(empty_store: Store) -> None:
    record_audit(empty_store, "../../etc/passwd", "admin", "view_application",
                 application_id="../../../tmp/x", detail={"note": "<script>alert(1)</script>" * 1_000})
    files = list((empty_store.root / "events").rglob("*.json"))
    assert len(files) == 1 and files[0].is_relative_to(empty_store.root / "events" / "audit")
    row = audit_log(empty_store).iloc[0]
    assert row["actor"] == "../../etc/passwd" and row["application_id"] == "../../../tmp/x"
    assert len(row["detail"]) <= MAX_TEXT + 10


def test_unreadable_event_files_are_skipped(empty_store: Store) -> None:
    record_audit(empty_store, "a", "admin", "login")
    day = next((empty_store.root / "events" / "audit").iterdir())
    (day / "broken.json").write_text("{not json")
    (day / "list.json").write_text(json.dumps([1, 2]))
    (empty_store.root / "events" / "audit" / "not-a-day").mkdir()
    assert len(audit_log(empty_store)) == 1


def test_csv_export_neutralizes_formulas(empty_store: Store) -> None:
    record_audit(empty_store, "=cmd|' /C calc'!A0", "admin", "login", detail={"note": "+SUM(A1)"})
    text = audit_csv(audit_log(empty_store))
    back = pd.read_csv(io.StringIO(text))
    assert back["actor"].iloc[0] == "'=cmd|' /C calc'!A0"
    assert set(back.columns) >= {"at", "actor", "role", "action", "application_id", "detail"}


def test_empty_store_has_an_empty_trail(empty_store: Store) -> None:
    log = audit_log(empty_store)
    assert log.empty and "actor" in log.columns


def test_registration_shows_no_person_role(store_copy: Store) -> None:
    log = audit_log(store_copy, actions=["register_model"])
    assert len(log) == 3 and log["role"].isna().all() and set(log["detail"]) == {"version 1.0.0"}
