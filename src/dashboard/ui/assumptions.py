"""The business assumptions behind every money and workload figure: shown to everyone, edited
by data scientists and administrators (each change an event that overrides the file)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.analytics.assumptions import AssumptionsError, BusinessAssumptions
from dashboard.services.assumptions import (
    assumptions_history,
    assumptions_in_force,
    change_assumptions,
)
from dashboard.services.policy import POLICY_ROLES
from dashboard.ui.data import QUERY_TTL, store_at

# Assumptions the page lets permitted roles edit: field -> (label, step, format).
EDITABLE: dict[str, tuple[str, float, str]] = {
    "average_amount": ("Average loan amount ({currency})", 500.0, "%.2f"),
    "interest_margin": ("Interest margin per year (fraction)", 0.005, "%.4f"),
    "average_term_years": ("Average term (years)", 0.5, "%.2f"),
    "loss_given_default": ("Loss given default (fraction)", 0.05, "%.3f"),
    "minutes_per_review": ("Officer minutes per review", 5.0, "%.1f"),
    "cost_per_review": ("Cost of one review ({currency})", 1.0, "%.2f"),
    "review_approval_share": ("Share of reviews the officer approves", 0.05, "%.2f"),
    "baseline_cutoff": ("Baseline policy cutoff", 0.01, "%.3f"),
}


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_assumptions_cached(store_path: str, version: str) -> BusinessAssumptions | str:
    """The assumptions in force, or the message saying why they cannot be read."""
    try:
        return assumptions_in_force(store_at(store_path))
    except (AssumptionsError, OSError) as exc:
        return str(exc)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_assumptions_history_cached(store_path: str, version: str) -> list[dict[str, Any]]:
    return assumptions_history(store_at(store_path))


def render_assumptions(store_path: str, version: str, role: str, user: str,
                       a: BusinessAssumptions) -> None:
    st.caption("From `src/dashboard/config/business.toml` (or $DASHBOARD_BUSINESS_CONFIG), overlaid by the "
               "latest change made here; every change is stored as an event.")
    if role not in POLICY_ROLES:
        st.dataframe(pd.DataFrame([{"assumption": label.format(currency=a.currency), "value": getattr(a, k)}
                                   for k, (label, _s, _f) in EDITABLE.items()]), hide_index=True, width="stretch")
        st.info("Only a data scientist or an administrator may change the assumptions.")
    else:
        with st.form("thr_assumptions"):
            cols = st.columns(4)
            values: dict[str, float] = {}
            for i, (key, (label, step, fmt)) in enumerate(EDITABLE.items()):
                values[key] = cols[i % 4].number_input(label.format(currency=a.currency), value=float(getattr(a, key)),
                                                       step=step, format=fmt, key=f"thr_assume_{key}")
            note = st.text_input("Why (optional)", key="thr_assume_note")
            submitted = st.form_submit_button("Save assumptions")
        if submitted:
            changed = {k: v for k, v in values.items() if v != getattr(a, k)}
            try:
                change_assumptions(store_at(store_path), changed, actor=user, role=role, note=note)
            except (AssumptionsError, PermissionError, ValueError) as exc:
                st.error(f"Not saved: {exc}")
            else:
                st.session_state["thr_flash"] = "Assumptions saved; every figure now uses them."
                st.rerun()
    history = load_assumptions_history_cached(store_path, version)
    if history:
        st.dataframe(pd.DataFrame(history[::-1]), hide_index=True, width="stretch")
