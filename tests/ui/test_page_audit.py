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
