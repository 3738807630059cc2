"""Real login end to end: the app behind st.login, a local OpenID Connect provider, Chromium.

The provider is `oidc-provider-mock` on 127.0.0.1 with one predefined user per role (the
role comes from the `groups` claim through roles.toml) and one user with no role. Each logs
in through the provider's form, sees exactly their pages, is refused a forbidden page by
its URL, and logs out.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, free_port, serve_app, wait_idle

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "login"
GROUPS = {"credit_officer": "credit-officers", "executive": "executives", "data_scientist": "data-scientists",
          "admin": "dashboard-admins"}

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    oidc = pytest.importorskip("oidc_provider_mock")
    from werkzeug.serving import make_server

    users = [oidc.User(sub=f"{role}@bank.example", claims={"email": f"{role}@bank.example", "groups": [group]})
             for role, group in GROUPS.items()]
    users.append(oidc.User(sub="guest@elsewhere.example", claims={"email": "guest@elsewhere.example",
                                                                  "groups": ["guests"]}))
    server = make_server("127.0.0.1", 0, oidc.app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def app(provider: str, small_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    pytest.importorskip("authlib")
    work = tmp_path_factory.mktemp("login")
    store = work / "store"
    shutil.copytree(small_store_dir, store)
    port = free_port()
    # Streamlit reads .streamlit/secrets.toml from the working directory: the [auth] section
    # is what switches the app from local mode to login.
    (work / ".streamlit").mkdir()
    (work / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(32).hex()}"\n'
        'client_id = "credit-model-dashboard"\n'
        'client_secret = "not-a-real-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n')
    # The shipped roles.toml maps the groups above.
    with (work / "streamlit.log").open("wb") as log, serve_app(
            store, port=port, drop_env=["DASHBOARD_ROLES_FILE"], cwd=work, log=log,
            extra_args=["--client.toolbarMode", "minimal"]) as url:
        yield url, store


def _ready(page: Any) -> None:
    """The first run imports the app (seconds under load) before it draws anything: wait for a heading."""
    page.wait_for_selector("h1", timeout=120_000)
    wait_idle(page)


def _login(page: Any, base: str, user: str) -> None:
    page.goto(base)
    _ready(page)
    assert page.locator("h1").first.inner_text() == "Credit model operations"
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector(f'button[value="{user}"]', timeout=30_000)  # the provider's form
    page.locator(f'button[value="{user}"]').click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
    _ready(page)


def _logout(page: Any, base: str) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_selector("text=End Session", timeout=30_000)  # the provider's end-session form
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
    _ready(page)


def _sidebar_slugs(page: Any) -> set[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    return {urlparse(h).path.strip("/") or "overview" for h in hrefs}


@pytest.mark.parametrize("role", list(GROUPS))
def test_login_each_role_sees_its_pages_and_is_refused_the_others(app: tuple[str, Path], role: str) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard.store import Store
    from dashboard.store.audit import audit_log
    from dashboard.ui.navigation import forbidden_for, pages_for

    base, store = app
    user = f"{role}@bank.example"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _login(page, base, user)
        page.screenshot(path=str(ARTIFACTS / f"{role}-home.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert _sidebar_slugs(page) == {p.slug for p in pages_for(role)}
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert user in sidebar and "Local mode" not in page.content()
        assert page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').count() == 0

        forbidden = forbidden_for(role)
        if forbidden:
            target = forbidden[0]
            page.goto(f"{base}/{target.slug}?role={role}&role=admin")
            _ready(page)
            page.screenshot(path=str(ARTIFACTS / f"{role}-refused-{target.slug}.png"), full_page=True)
            assert page.locator("h1").first.inner_text() == "Not available to your role"
            assert f"The {target.title} page is not open" in page.content()
        allowed = [p for p in pages_for(role) if p.slug != "overview"][:1]
        for spec in allowed:
            page.goto(f"{base}/{spec.slug}")
            _ready(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator("h1").first.inner_text() != "Not available to your role"

        _logout(page, base)
        assert page.locator("h1").first.inner_text() == "Credit model operations"
        page.goto(f"{base}/{pages_for(role)[-1].slug}")
        _ready(page)
        assert page.locator("h1").first.inner_text() == "Credit model operations"  # logged out for real
        browser.close()
    actions = set(audit_log(Store(store), actors=[user])["action"])
    assert {"login", "logout"} <= actions
    assert ("page_refused" in actions) is bool(forbidden_for(role))


def test_identity_without_a_role_sees_only_a_refusal(app: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    base, _ = app
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _login(page, base, "guest@elsewhere.example")
        page.screenshot(path=str(ARTIFACTS / "guest.png"), full_page=True)
        assert page.locator("h1").first.inner_text() == "No access yet"
        assert page.locator('[data-testid="stSidebarNav"] a').count() == 0
        page.goto(f"{base}/audit?role=admin")
        _ready(page)
        assert page.locator("h1").first.inner_text() == "No access yet"
        _logout(page, base)
        assert page.locator("h1").first.inner_text() == "Credit model operations"
        browser.close()
