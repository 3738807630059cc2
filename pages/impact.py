"""Impact: the executive's seven-point scorecard for a period, read from rollups."""

from dashboard.ui.impact_page import render

render()
