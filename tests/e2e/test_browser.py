"""Every page as every role in headless Chromium: no exception box, screenshots kept."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, serve_app, wait_idle

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
ROLES = ("credit_officer", "executive", "data_scientist", "admin")

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


@pytest.fixture(scope="module")
def server(small_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A private copy: page views and refusals write audit events, which other tests count.
    store = tmp_path_factory.mktemp("browser") / "store"
    shutil.copytree(small_store_dir, store)
    with serve_app(store) as url:
        yield url


@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_role(server: str, role: str) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard.ui.navigation import pages_for

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expected = {p.slug for p in pages_for(role)}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server}/?role={role}")
        wait_idle(page)
        links = page.locator('[data-testid="stSidebarNav"] a')
        hrefs = {links.nth(i).get_attribute("href") or "" for i in range(links.count())}
        slugs = {urlparse(h).path.strip("/") or "overview" for h in hrefs}
        assert slugs == expected, f"{role} sees {slugs}, expected {expected}"
        failures = []
        for slug in sorted(expected):
            url = f"{server}/{'' if slug == 'overview' else slug}?role={role}"
            page.goto(url)
            wait_idle(page)
            page.screenshot(path=str(ARTIFACTS / f"{role}-{slug}.png"), full_page=True)
            if page.locator('[data-testid="stException"]').count():
                failures.append(f"{slug}: {page.locator('[data-testid=stException]').first.inner_text()[:300]}")
            elif "Traceback" in page.content():
                failures.append(f"{slug}: Traceback in page")
        browser.close()
    assert failures == []


def test_forbidden_page_by_url_is_not_shown(server: str) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard.ui.navigation import PAGES, pages_for

    allowed = {p.slug for p in pages_for("credit_officer")}
    forbidden = [p for p in PAGES if p.path.exists() and p.slug not in allowed]
    if not forbidden:
        pytest.skip("every built page is open to credit officers")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{server}/{forbidden[0].slug}?role=credit_officer")
        wait_idle(page)
        heading = page.locator("h1").first.inner_text()
        browser.close()
    assert heading == "Not available to your role"


def test_landing_page_draws_images_then_loads_plotly_when_idle_for_interactive_charts(server: str) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard.ui.preload import find_chart_chunk

    chunk = find_chart_chunk()
    assert chunk is not None
    loaded = f"performance.getEntriesByType('resource').some(e => e.name.endsWith('/{chunk}'))"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server}/?role=admin")
        wait_idle(page)
        charts = page.locator('[data-testid="stMain"] [data-testid="stImage"] img[src*="svg"]').count()
        plotly_charts = page.locator('[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"]').count()
        # Then, with the page drawn and the browser idle, the Plotly renderer is fetched and run.
        page.wait_for_function(loaded, timeout=30_000)
        # Charts are server-drawn images unless the user asks for interactive ones; then a page
        # with charts, in the same tab, draws them with Plotly from the loaded module.
        page.locator('[data-testid="stSidebar"] label').filter(has_text="Interactive charts").first.click()
        wait_idle(page)
        page.locator('[data-testid="stSidebarNav"] a[href$="/performance"]').first.click()
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
        fetched = page.evaluate(f"performance.getEntriesByType('resource')"
                                f".filter(e => e.name.endsWith('/{chunk}')).length")
        browser.close()
    assert charts == 2 and plotly_charts == 0
    assert fetched == 1
