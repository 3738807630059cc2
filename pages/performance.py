"""Performance: realized and estimated model performance over time, latency and alerts."""

from dashboard.ui.performance_page import render

render()
