"""Who is using the app: the role, from ?role= or the sidebar (local mode)."""

from __future__ import annotations

import streamlit as st

from dashboard.contracts import ROLES

ROLE_LABELS = {"credit_officer": "Credit officer", "executive": "Executive",
               "data_scientist": "Data scientist / risk manager", "admin": "Administrator"}
DEFAULT_ROLE = "data_scientist"


def resolve_role() -> str:
    """?role= wins (and sticks for the session); otherwise the session's choice."""
    asked = st.query_params.get("role")
    if asked in ROLES:
        st.session_state["role"] = asked
    elif asked is not None:
        st.session_state["bad_role"] = asked
    role = st.session_state.get("role", DEFAULT_ROLE)
    return role if role in ROLES else DEFAULT_ROLE


def render_role_switcher(role: str) -> str:
    """Local mode only: a sidebar select to act as another role."""
    choice = st.sidebar.selectbox("Acting as", ROLES, index=ROLES.index(role),
                                  format_func=lambda r: ROLE_LABELS[r], key="role_select")
    if choice != role:
        st.session_state["role"] = choice
        st.query_params["role"] = choice
        st.rerun()
    return choice


def current_role() -> str:
    return str(st.session_state.get("role", DEFAULT_ROLE))


def current_user() -> str:
    """The name written into events; local mode has no login, so it is the role."""
    return f"local:{current_role()}"
