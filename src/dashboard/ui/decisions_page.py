"""The Decisions page: the credit officer's queue, one application explained, what-if and overrides."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import data
from dashboard.ui.decisions import load_models_cached, render_application, render_queue


def render() -> None:
    st.title("Decisions")
    store = data.get_store()
    path, version = str(store.root), store.version()
    models = load_models_cached(path, version)
    if not store.list_cards() or models.empty:
        st.info("This store holds no decisions yet. Build the demo store with `make run` (or `dashboard demo`), "
                "or register a model and ingest its prediction logs: see the README.")
        st.stop()

    roles = data.load_roles_cached(path, version)
    asked = (st.query_params.get("application") or "").strip()
    with st.expander("Queue", expanded=not asked):
        picked = render_queue(store, models, roles)
    if picked and picked != st.session_state.get("dq_last_pick"):
        st.session_state["dq_last_pick"] = picked
        st.query_params["application"] = picked
        asked = picked

    opened = st.text_input("Open an application by id", value=asked, key=f"dq_open_{asked}",
                           placeholder="e.g. APP-00089786").strip()
    if opened != asked:
        st.query_params["application"] = opened
        asked = opened
    if not asked:
        st.caption("Pick a row in the queue, or type an application id, to see why it was decided, ask what-if "
                   "and record an override.")
        st.stop()
    hint = next((m for m, r in sorted(roles.items()) if r == "champion"), None)
    render_application(store, asked, roles, hint)
