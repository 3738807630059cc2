"""The shared frame of every page: role, navigation, sidebar, local-mode banner."""

from __future__ import annotations

import streamlit as st

from dashboard.store import resolve_store_path
from dashboard.ui.navigation import pages_for
from dashboard.ui.session import ROLE_LABELS, render_role_switcher, resolve_role


def render_shell() -> st.navigation:  # type: ignore[valid-type]
    """Resolve the role, draw the sidebar and return the navigation for page.run()."""
    role = resolve_role()
    specs = pages_for(role)
    sections: dict[str, list[st.Page]] = {}  # type: ignore[valid-type]
    for spec in specs:
        page = st.Page(str(spec.path), title=spec.title, icon=spec.icon, url_path=spec.slug,
                       default=spec.slug == "overview")
        sections.setdefault(spec.section, []).append(page)
    nav = st.navigation(sections)
    with st.sidebar:
        st.caption("Local mode: no login; serving on this machine only. Pick the role to act as.")
        render_role_switcher(role)
        st.caption(f"Store: `{resolve_store_path()}`")
    bad = st.session_state.pop("bad_role", None)
    if bad:
        st.warning(f"Unknown role {bad!r} in the address; showing the app as {ROLE_LABELS[role]}.")
    return nav
