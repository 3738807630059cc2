"""The browser-side warm-up: Streamlit's Plotly renderer found, and asked for after each page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.ui.preload import CHUNK_PATTERN, build_preload_html, find_chart_chunk
from tests.support.apptest import errors, open_page


def test_the_plotly_renderer_of_the_installed_streamlit_is_found() -> None:
    chunk = find_chart_chunk()
    # If Streamlit renames its chunks, this fails: the preload would silently stop working.
    assert chunk is not None, f"no single {CHUNK_PATTERN} in Streamlit's static scripts"
    path = Path(st.__file__).parent / "static" / "static" / "js" / chunk
    assert path.stat().st_size > 1_000_000  # the whole of plotly.js is in it


def test_the_script_loads_it_once_when_idle_from_the_apps_own_server() -> None:
    html = build_preload_html("PlotlyChart.abc.js")
    assert '"PlotlyChart.abc.js"' in html and "requestIdleCallback" in html
    assert "__dashboardChartsPreloaded" in html  # once per tab
    assert "http" not in html  # resolved against the app's own script URL


def test_every_page_asks_for_it(small_store_dir: Path) -> None:
    chunk = find_chart_chunk()
    for slug in ("overview", "models"):
        at = open_page(small_store_dir, "admin", slug)
        assert errors(at) == []
        bodies = [h.proto.body for h in at.get("html")]
        assert any(chunk in body and "<script>" in body for body in bodies)
