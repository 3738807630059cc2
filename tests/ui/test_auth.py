"""Login and roles through the entry point: local mode, OpenID Connect identities, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from dashboard.store.audit import audit_log
from dashboard.ui import auth
from dashboard.ui.navigation import forbidden_for, pages_for
from tests.support.apptest import ENTRY, errors, open_page, open_url
from tests.support.env import set_env

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 64,
        "client_id": "dashboard", "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
GROUPS = {"credit_officer": "credit-officers", "executive": "executives", "data_scientist": "data-scientists",
          "admin": "dashboard-admins"}


@pytest.fixture(scope="module")
def store_dir(small_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy: logins and refusals write audit events."""
    dest = tmp_path_factory.mktemp("auth") / "store"
    shutil.copytree(small_store_dir, dest)
    return dest


def _oidc(store_dir: Path, user: dict[str, Any], query: dict[str, str] | None = None) -> AppTest:
    set_env("DASHBOARD_STORE", str(store_dir))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = user
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _member(role: str, email: str | None = None) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email or f"{role}@bank.example", "sub": f"sub-{role}",
            "groups": [GROUPS[role]]}


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_local_mode_has_banner_and_switcher(store_dir: Path) -> None:
    at = open_page(store_dir, "executive")
    assert errors(at) == []
    assert any("Local mode" in m.value for m in at.markdown)
    assert at.selectbox(key="role_select").value == "executive"
    assert _titles(at) == ["Overview"]


def test_login_screen_shows_nothing_else(store_dir: Path) -> None:
    at = _oidc(store_dir, {"is_logged_in": False}, query={"role": "admin"})
    assert errors(at) == []
    assert _titles(at) == ["Credit model operations"]
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.metric and not at.dataframe and not at.selectbox
    assert not any("Local mode" in m.value for m in at.markdown)


@pytest.mark.parametrize("role", list(GROUPS))
def test_each_role_from_its_group(store_dir: Path, role: str) -> None:
    at = _oidc(store_dir, _member(role))
    assert errors(at) == []
    assert _titles(at) == ["Overview"]
    assert at.session_state["role"] == role
    assert any(f"Signed in as `{role}@bank.example`" in c.value for c in at.caption)
    assert "Log out" in [b.label for b in at.button]
    assert not [s for s in at.selectbox if s.key == "role_select"]  # no switcher with a login
    registered = {info.get("url_pathname") or "overview" for info in at._registered_pages.values()}
    assert registered == {p.slug for p in pages_for(role)} | {p.slug for p in forbidden_for(role)}


def test_role_in_the_address_is_ignored_with_a_login(store_dir: Path) -> None:
    at = _oidc(store_dir, _member("credit_officer", "carol@bank.example"), query={"role": "admin"})
    assert at.session_state["role"] == "credit_officer"
    at = open_url(at, "audit")
    assert _titles(at) == ["Not available to your role"]


def test_forbidden_page_by_url_is_refused_and_audited(store_dir: Path) -> None:
    at = _oidc(store_dir, _member("credit_officer", "dora@bank.example"))
    at = open_url(at, "drift")
    assert errors(at) == []
    assert _titles(at) == ["Not available to your role"]
    assert "Drift page is not open to the Credit officer role" in at.error[0].value
    assert not at.metric and not at.dataframe  # the drift page's script never ran
    log = audit_log(Store(store_dir), actors=["dora@bank.example"])
    assert set(log["action"]) == {"login", "page_refused"}
    assert log.loc[log["action"] == "page_refused", "detail"].item() == "page=drift"


def test_allowed_page_by_url_opens(store_dir: Path) -> None:
    at = _oidc(store_dir, _member("executive"))
    at = open_url(at, "impact")
    assert errors(at) == [] and _titles(at)[0] == "Impact"


def test_login_is_audited_once_per_session(store_dir: Path) -> None:
    at = _oidc(store_dir, _member("data_scientist", "erin@bank.example"))
    at.run()
    at.run()
    log = audit_log(Store(store_dir), actors=["erin@bank.example"])
    assert list(log["action"]) == ["login"] and log["role"].item() == "data_scientist"


def test_identity_without_a_role_is_refused_politely(store_dir: Path) -> None:
    at = _oidc(store_dir, {"is_logged_in": True, "email": "mallory@elsewhere.example", "sub": "m",
                           "groups": ["guests"]}, query={"role": "admin"})
    assert errors(at) == []
    assert _titles(at) == ["No access yet"]
    assert "`mallory@elsewhere.example`" in at.markdown[0].value
    assert [b.label for b in at.button] == ["Log out"]
    assert not at.metric and not at.dataframe and not at._registered_pages.get("audit")
    log = audit_log(Store(store_dir), actors=["mallory@elsewhere.example"])
    assert list(log["action"]) == ["login_refused"]


def test_unreadable_role_mapping_refuses_everyone(store_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "roles.toml"
    bad.write_text('[groups]\n"dashboard-admins" = "superuser"\n')
    monkeypatch.setenv("DASHBOARD_ROLES_FILE", str(bad))
    at = _oidc(store_dir, _member("admin"))
    assert errors(at) == []
    assert "role mapping cannot be read" in at.error[0].value and "superuser" in at.error[0].value
    assert not _titles(at)


def test_own_mapping_file_by_email(store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "roles.toml"
    mine.write_text('[emails]\n"ceo@bank.example" = "executive"\n')
    monkeypatch.setenv("DASHBOARD_ROLES_FILE", str(mine))
    at = _oidc(store_dir, {"is_logged_in": True, "email": "ceo@bank.example", "groups": ["dashboard-admins"]})
    assert at.session_state["role"] == "executive"


def test_application_views_are_audited_once_per_session(store_dir: Path) -> None:
    def script() -> None:
        from dashboard.ui.auth import audit_application_view
        from dashboard.ui.session import set_identity
        set_identity("oidc", "olga@bank.example", "credit_officer")
        audit_application_view("APP-00000007", "gbm_champion")
        audit_application_view("APP-00000007", "gbm_champion")

    set_env("DASHBOARD_STORE", str(store_dir))
    at = AppTest.from_function(script, default_timeout=30).run()
    at.run()
    assert errors(at) == []
    log = audit_log(Store(store_dir), actors=["olga@bank.example"])
    assert list(log["action"]) == ["view_application"]
    assert (log["application_id"].item(), log["model_id"].item(), log["role"].item()) == (
        "APP-00000007", "gbm_champion", "credit_officer")


@pytest.mark.parametrize("address,refused", [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                             ("0.0.0.0", True), ("", True), (None, True), ("10.0.0.5", True),
                                             ("dashboard.bank.example", True)])
def test_local_mode_serves_only_on_loopback(monkeypatch: pytest.MonkeyPatch, address: str | None,
                                            refused: bool) -> None:
    options = {"global.appTest": False, "server.address": address}
    monkeypatch.setattr("dashboard.ui.auth.st_config.get_option", lambda key: options[key])
    problem = auth.local_bind_problem()
    assert (problem is not None) is refused
    if refused:
        assert "only serves on 127.0.0.1" in str(problem)
