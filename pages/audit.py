"""Audit: who saw which application and who changed what, filtered and exported as CSV (admin)."""

from dashboard.ui.audit_page import render

render()
