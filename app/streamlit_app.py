"""Entry point: who is here (login or local mode), the navigation built with st.navigation, then the page."""

import streamlit as st

# First, before the heavier imports below (about 3 s on the first run), so the browser
# gets the page frame and its running indicator at once.
st.set_page_config(page_title="Credit model operations", page_icon="🏦", layout="wide")

from dashboard.ui.preload import render_chart_preload  # noqa: E402
from dashboard.ui.shell import page_running, render_shell, start_warming  # noqa: E402

try:
    with page_running():
        render_shell().run()
    render_chart_preload()
finally:
    # After the page, not before: the first page never waits for it (once per process).
    start_warming()
