"""Browser-side warm-up: load the chart library while the browser is idle after a page is drawn.

Streamlit fetches and compiles its Plotly renderer (a 4.7 MB script) the first time a page shows a
Plotly chart, which costs about a second in a browser that has not run it yet. Pages draw their
charts as server-side images by default (`figure_view`); Plotly still draws the Decisions
waterfall and every chart once "Interactive charts" is on. Once any page is drawn and the browser
is idle, this loads the Plotly renderer, so that the next page with Plotly charts finds it compiled
(the module stays loaded in the tab; Chromium also keeps its compiled code for later page loads).
It mirrors the server's warm-up in `dashboard.ui.shell`. Nothing is downloaded from elsewhere: the
script is Streamlit's own, served by this app.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

CHUNK_PATTERN = "PlotlyChart.*.js"

# Resolved against the URL of the app's own main script, so a server.baseUrlPath is followed.
_SCRIPT = """<script>
(() => {
  if (window.__dashboardChartsPreloaded) return;
  window.__dashboardChartsPreloaded = true;
  const load = () => {
    const main = document.querySelector('script[type="module"][src*="/static/js/index."]');
    if (main) import(new URL(%s, main.src).href).catch(() => {});
  };
  if (window.requestIdleCallback) requestIdleCallback(load, {timeout: 4000}); else setTimeout(load, 1000);
})();
</script>"""


@cache
def find_chart_chunk() -> str | None:
    """File name of Streamlit's Plotly renderer among its static scripts, or None if not found."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(folder.glob(CHUNK_PATTERN))
    return found[0].name if len(found) == 1 else None


def build_preload_html(chunk: str) -> str:
    return _SCRIPT % json.dumps(chunk)


def render_chart_preload() -> None:
    """Ask the browser to load the Plotly renderer when idle (once per tab; nothing if not found)."""
    chunk = find_chart_chunk()
    if chunk is not None:
        st.html(build_preload_html(chunk), unsafe_allow_javascript=True)
