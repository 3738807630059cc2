"""Every page as every role on each foreign portfolio, in headless Chromium (marked e2e).

The app is served on a private copy of the portfolio's store (page views write audit
events), with the lender's business.toml. Each role opens `/?role=ROLE`, then every page
of its menu, and a credit officer also opens one declined application. A page fails on:
a Streamlit exception box or "Traceback"; the text "EUR" in a store configured with another
currency; "nan" / "NaN" or "None" shown as a value; a Plotly chart without a single data
point, or a Vega-Lite chart that drew nothing. Screenshots are kept under
test-artifacts/conformance/browser/<portfolio>/ and named in the failure.

Time: about 2 minutes for a tour of every role (22 page views, 4-7 s each on 2 shared cores).
The first portfolio is toured as every role; the others as the admin (whose menu is every page)
and the credit officer (who also opens an application), since what they test is the data's
rendering, not the role's menu: 12 page views each. CONFORMANCE_TOUR_ROLES=a,b sets the roles
for every portfolio.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from dashboard.contracts import ROLES
from tests.conformance import oracle
from tests.conformance.checks import ARTIFACTS
from tests.conformance.portfolios import PORTFOLIO_NAMES, Portfolio
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, is_idle, serve_app

ROOT = Path(__file__).resolve().parents[2]
DATA_ROLES = ("credit_officer", "admin")
TOURED_AS_EVERY_ROLE = PORTFOLIO_NAMES[0]
# CONFORMANCE_TOUR_ROLES=admin (comma-separated) sets the roles for every portfolio.
ROLES_OVERRIDE = tuple(r for r in os.environ.get("CONFORMANCE_TOUR_ROLES", "").split(",") if r)
PAGE_TIMEOUT = 120

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]

# Values that must never be displayed: a float that is not a number, a Python None.
BAD_VALUES = re.compile(r"(?<![\w/.-])(nan|NaN|None)(?![\w/-])")
# Ordinary words that may start a sentence ("None of ...") are not values.
PROSE_NONE = re.compile(r"\bNone (of|yet|is|are|was|were|has|have|in|on|at|so|to)\b")

EMPTY_PLOTLY_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((el, i) => {
  const data = el.data || [];
  const points = data.reduce((sum, t) => {
    const arrays = ['x', 'y', 'z', 'values', 'lat', 'r', 'open'].map(k => t[k]).filter(a => a && a.length);
    return sum + (arrays.length ? Math.max(...arrays.map(a => a.length)) : 0);
  }, 0);
  const title = (el.layout && el.layout.title && (el.layout.title.text || el.layout.title)) || ('chart ' + (i + 1));
  return {title: String(title), traces: data.length, points: points};
})"""

VEGA_JS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]')).map((el, i) => {
  const canvas = el.querySelector('canvas');
  let drawn = false;
  if (canvas && canvas.width && canvas.height) {
    const ctx = canvas.getContext('2d');
    const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let colours = new Set();
    for (let k = 0; k < px.length && colours.size < 4; k += 4 * 97) colours.add(px[k] + ',' + px[k+1] + ',' + px[k+2]);
    drawn = colours.size >= 3;
  }
  const marks = el.querySelectorAll('svg .mark-line path, svg .mark-rect path, svg .mark-area path, svg .mark-symbol path, svg .mark-bar path').length;
  return {index: i + 1, drawn: drawn || marks > 0};
})"""


# st.dataframe draws its cells on a canvas; its accessibility table holds the values, with a
# null as an empty cell, which the canvas draws as "None". An empty cell in a column whose other
# cells are all numbers is such a null.
TABLE_NULLS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]')).map((frame, i) => {
  const table = frame.querySelector('table');
  if (!table) return {index: i + 1, nulls: []};
  const heads = Array.from(table.querySelectorAll('thead th, [role=columnheader]')).map(h => h.textContent.trim());
  const rows = Array.from(table.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim()));
  const nulls = [];
  heads.forEach((name, j) => {
    const values = rows.map(r => r[j]).filter(v => v !== undefined);
    const filled = values.filter(v => v !== '');
    const numeric = filled.length > 0 && filled.every(v => !isNaN(Number(v.replace(/,/g, ''))));
    const empty = values.length - filled.length;
    if (numeric && empty) nulls.push(name + ' (' + empty + ' of ' + values.length + ')');
  });
  return {index: i + 1, nulls: nulls, text: rows.map(r => r.join(' ')).join(' | ')};
})"""

SVG_IMAGES_JS = """async () => {
  const out = [];
  for (const img of Array.from(document.querySelectorAll('[data-testid="stMain"] img'))) {
    const src = img.getAttribute('src') || '';
    if (!src.includes('svg')) continue;
    try { out.push({alt: img.getAttribute('alt') || '', text: await (await fetch(src)).text()}); }
    catch (e) { out.push({alt: img.getAttribute('alt') || '', text: ''}); }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def served(built: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Portfolio, str]]:
    store = tmp_path_factory.mktemp(f"tour-{built.name}") / "store"
    shutil.copytree(built.store, store)
    with serve_app(store, drop_env=["DASHBOARD_BUSINESS_CONFIG"], env=built.env()) as url:
        yield built, url


def _bad_values(text: str) -> list[str]:
    found = []
    for m in BAD_VALUES.finditer(text):
        if m.group(1) == "None" and PROSE_NONE.match(text, m.start()):
            continue
        found.append(text[max(0, m.start() - 40):m.end() + 20].replace("\n", " | "))
    return found


def _inspect(page: Any, portfolio: Portfolio, label: str, shot: Path) -> list[str]:
    problems = []
    if page.locator('[data-testid="stException"]').count():
        problems.append(f"exception box: {page.locator('[data-testid=stException]').first.inner_text()[:300]}")
    html = page.content()
    if "Traceback" in html:
        problems.append("Traceback in the page")
    main = page.locator('[data-testid="stMain"]')
    text = (main.first if main.count() else page.locator("body")).inner_text()
    sidebar = page.locator('[data-testid="stSidebar"]')
    text += "\n" + (sidebar.first.inner_text() if sidebar.count() else "")
    if oracle.money_of(portfolio).currency != "EUR":
        eur = sorted({text[max(0, m.start() - 25):m.end() + 15].replace("\n", " ")
                      for m in re.finditer(r"\bEUR\b", text)})
        if eur:
            problems.append(f"'EUR' shown {len(eur)} time(s) in a {oracle.money_of(portfolio).currency} store: {eur[:3]}")
    for image in page.evaluate(SVG_IMAGES_JS):    # charts drawn on the server as SVG images
        text += "\n" + image["alt"] + "\n" + " ".join(re.findall(r">([^<>]+)<", image["text"]))
        if 'data-points="0"' in image["text"]:    # a chart drawn from a figure with no point
            problems.append(f"empty chart {image['alt']!r}")
    tables = page.evaluate(TABLE_NULLS_JS)
    text += "\n" + "\n".join(t.get("text", "") for t in tables)
    for table in tables:
        if table["nulls"]:
            problems.append(f"table {table['index']} shows None for missing numbers: {', '.join(table['nulls'])}")
    bad = _bad_values(text)
    if bad:
        problems.append(f"nan/None shown as a value {len(bad)} time(s): {bad[:3]}")
    for chart in page.evaluate(EMPTY_PLOTLY_JS):
        if chart["points"] == 0:
            problems.append(f"empty Plotly chart {chart['title']!r} ({chart['traces']} traces, no point)")
    for chart in page.evaluate(VEGA_JS):
        if not chart["drawn"]:
            problems.append(f"Vega-Lite chart {chart['index']} drew nothing")
    return [f"{label} ({shot.name}): {p}" for p in problems]


def test_tour_every_page_as_every_role(served: tuple[Portfolio, str]) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard.ui.navigation import pages_for

    portfolio, server = served
    shots = ARTIFACTS / "browser" / portfolio.name
    shots.mkdir(parents=True, exist_ok=True)
    champion = oracle.champion_rows(portfolio)
    declined = champion[champion["decision"] == "decline"]["application_id"]
    failures: list[str] = []
    started = time.time()
    timings: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        roles = ROLES_OVERRIDE or (ROLES if portfolio.name == TOURED_AS_EVERY_ROLE else DATA_ROLES)
        for role in roles:
            visits = [(p.slug, "") for p in pages_for(role)]
            if role == "credit_officer" and len(declined):
                visits.append(("decisions", f"&application={declined.iloc[len(declined) // 2]}"))
            for number, (slug, query) in enumerate(visits):
                t0 = time.time()
                page.goto(f"{server}/{'' if slug == 'overview' else slug}?role={role}{query}")
                idle = is_idle(page, PAGE_TIMEOUT)
                if number == 0:      # the landing page: its menu must list exactly the role's pages
                    links = page.locator('[data-testid="stSidebarNav"] a')
                    hrefs = {links.nth(i).get_attribute("href") or "" for i in range(links.count())}
                    slugs = {urlparse(h).path.strip("/") or "overview" for h in hrefs}
                    if slugs != {v[0] for v in visits}:
                        failures.append(f"{role}: menu {sorted(slugs)} is not {sorted({v[0] for v in visits})}")
                shot = shots / f"{role}-{slug}{'-application' if query else ''}.png"
                # The app scrolls inside its main block: grow the window to the page for the shot.
                height = page.evaluate("(document.querySelector('[data-testid=stMain]') || document.body).scrollHeight")
                page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 50, 1000), 12000)})
                page.screenshot(path=str(shot))
                page.set_viewport_size({"width": 1400, "height": 1000})
                label = f"{portfolio.name} {role} {slug}{query}"
                timings.append(f"{label}: {time.time() - t0:.1f} s")
                if not idle:
                    failures.append(f"{label} ({shot.name}): did not finish within {PAGE_TIMEOUT} s")
                failures += _inspect(page, portfolio, label, shot)
        browser.close()
    print(f"\n{portfolio.name}: tour of {len(timings)} pages in {time.time() - started:.0f} s\n" + "\n".join(timings))
    assert failures == [], f"{len(failures)} page problem(s); screenshots in {shots}:\n" + "\n".join(failures)
