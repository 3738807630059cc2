"""The Audit page: admin only, lists and filters the trail, exports CSV; hostile text stays text."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.services.overrides import record_override
from dashboard.store import Store
from dashboard.store.audit import audit_log, record_audit
from tests.support.apptest import errors, open_page, open_url

HOSTILE = "<script>alert('x')</script> <img src=x onerror=alert(1)> [link](javascript:alert(1))"


@pytest.fixture
def trail(store_copy: Store) -> Store:
    record_audit(store_copy, "ann@bank.example", "credit_officer", "view_application",
                 model_id="gbm_champion", application_id="APP-00000001")
    record_audit(store_copy, "bob@bank.example", "admin", "login")
    record_override(store_copy, "APP-00000001", "gbm_champion", "decline", "approve", HOSTILE, "ann@bank.example")
    return store_copy


def test_admin_sees_and_filters_the_trail(trail: Store) -> None:
    at = open_page(trail.root, "admin", "audit")
    assert errors(at) == []
    assert at.title[0].value == "Audit trail"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Application views"] == "1" and metrics["Changes"] == "4"  # 3 registrations + 1 override
    table = at.dataframe[0].value
    assert {"view_application", "login", "override", "register_model"} <= set(table["action"])
    assert HOSTILE in table.loc[table["action"] == "override", "detail"].item()  # shown as data, as typed
    assert not any("<script>" in m.value for m in at.markdown)

    at.multiselect(key="audit_actors").set_value(["ann@bank.example"]).run()
    assert set(at.dataframe[0].value["actor"]) == {"ann@bank.example"}
    at.text_input(key="audit_search").set_value("' OR 1=1 --").run()
    assert errors(at) == [] and not at.dataframe
    assert any("No event matches" in i.value for i in at.info)


def test_export_is_offered_as_csv(trail: Store) -> None:
    at = open_page(trail.root, "admin", "audit")
    buttons = at.get("download_button")
    assert len(buttons) == 1 and "Export CSV" in buttons[0].proto.label


@pytest.mark.parametrize("role", ["credit_officer", "executive", "data_scientist"])
def test_other_roles_are_refused_by_url(trail: Store, role: str) -> None:
    at = open_url(open_page(trail.root, role), "audit")
    assert errors(at) == []
    assert at.title[0].value == "Not available to your role" and not at.dataframe
    refused = audit_log(trail, actions=["page_refused"])
    assert refused["actor"].tolist() == [f"local:{role}"]


def test_empty_trail_is_explained(tmp_path: Path) -> None:
    at = open_page(tmp_path / "empty", "admin", "audit")
    assert errors(at) == []
    assert any("No audit event" in i.value for i in at.info)


def test_the_chain_state_is_shown_intact_then_broken(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    record_audit(store, "ann@bank.example", "admin", "login")
    store.append_event("override", {"application_id": "A1", "reason": "r"}, actor="ann")
    at = open_page(store.root, "admin", "audit")
    assert errors(at) == []
    assert any("Records chain intact" in s.value for s in at.success)
    path = next(store.layout.event_dir("override").glob("*/*.json"))
    path.write_text(path.read_text().replace('"reason": "r"', '"reason": "rewritten"'))
    at = open_page(store.root, "admin", "audit")
    assert errors(at) == []
    assert any("Records chain broken at override" in e.value and "edited" in e.value for e in at.error)


def test_events_from_before_the_chain_are_shown_unchained(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    day = store.layout.event_dir("audit") / __import__("datetime").date.today().isoformat()
    day.mkdir(parents=True)
    legacy = {"id": "x1", "kind": "audit", "at": f"{day.name}T00:00:01", "actor": "old", "action": "login"}
    (day / "x1.json").write_text(__import__("json").dumps(legacy))
    at = open_page(store.root, "admin", "audit")
    assert errors(at) == []
    text = " ".join(m.value for m in [*at.success, *at.info])
    assert "from before the chain existed" in text and "unchained" in text and not at.error
