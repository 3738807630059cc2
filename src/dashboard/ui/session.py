"""Who is using the app: role and name, set once per run by the shell (ui/auth.py).

Local mode (no identity provider): the role comes from ?role= or the sidebar switcher.
With a provider the shell sets both from the login's claims, and ?role= is ignored.
"""

from __future__ import annotations

import streamlit as st

from dashboard.contracts import ROLES

ROLE_LABELS = {"credit_officer": "Credit officer", "executive": "Executive",
               "data_scientist": "Data scientist / risk manager", "admin": "Administrator"}
DEFAULT_ROLE = "data_scientist"
ROLE_KEY = "role"
USER_KEY = "auth_user"
MODE_KEY = "auth_mode"


def resolve_role() -> str:
    """Local mode only: ?role= wins (and sticks for the session); otherwise the session's choice."""
    asked = st.query_params.get("role")
    if asked in ROLES:
        st.session_state[ROLE_KEY] = asked
    elif asked is not None:
        st.session_state["bad_role"] = asked
    role = st.session_state.get(ROLE_KEY, DEFAULT_ROLE)
    return role if role in ROLES else DEFAULT_ROLE


def render_role_switcher(role: str) -> str:
    """Local mode only: a sidebar select to act as another role."""
    choice = st.sidebar.selectbox("Acting as", ROLES, index=ROLES.index(role),
                                  format_func=lambda r: ROLE_LABELS[r], key="role_select")
    if choice != role:
        st.session_state[ROLE_KEY] = choice
        st.query_params["role"] = choice
        st.rerun()
    return choice


def set_identity(mode: str, user: str, role: str) -> None:
    """Called by the shell on every run, before the page runs."""
    st.session_state[MODE_KEY] = mode
    st.session_state[USER_KEY] = user
    st.session_state[ROLE_KEY] = role


def current_mode() -> str:
    return str(st.session_state.get(MODE_KEY, "local"))


def current_role() -> str:
    return str(st.session_state.get(ROLE_KEY, DEFAULT_ROLE))


def current_user() -> str:
    """The name written into events: the login's email (or subject), or local:<role> in local mode."""
    user = st.session_state.get(USER_KEY)
    return str(user) if user else f"local:{current_role()}"
