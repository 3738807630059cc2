"""Decisions: the credit officer's queue, one application explained, what-if and overrides."""

from dashboard.ui.decisions_page import render

render()
