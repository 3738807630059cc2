"""Overview: the portfolio at a glance, read from rollups."""

from dashboard.ui.overview_page import render

render()
