"""The Audit page: who saw which application and who changed what, filtered and exported as CSV (admin)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.services.audit import audit_csv, audit_log
from dashboard.ui import data
from dashboard.ui.auth import audit, can
from dashboard.ui.ingest_activity import render_token_use

DEFAULT_DAYS = 30  # the window the page opens on, ending today


def render() -> None:
    st.title("Audit trail")
    if not can("view_audit"):
        # The navigation already hides this page; this holds if a script ever switches to it.
        st.error("Only an administrator may read the audit trail.")
        st.stop()

    st.caption("Every view of an individual application, every login, refused page and export, and every change "
               "(override, policy, assumptions, promotion, model registration). Events are immutable files in "
               "the store: nothing here edits or deletes them.")
    store = data.get_store()
    today = dt.datetime.now(dt.UTC).date()
    c1, c2, c3 = st.columns([2, 3, 3])
    picked = c1.date_input("Between", value=(today - dt.timedelta(days=DEFAULT_DAYS), today), max_value=today,
                           key="audit_dates")
    if not isinstance(picked, (tuple, list)) or len(picked) != 2:
        st.info("Pick both a start and an end date.")
        st.stop()
    start, end = picked
    window = audit_log(store, start, end)
    render_token_use(store, start, end)
    if window.empty:
        st.info(f"No audit event between {start} and {end}. Widen the dates: events are written as people open "
                "applications and change things.")
        st.stop()
    actors = c2.multiselect("Who", sorted(window["actor"].dropna().unique()), key="audit_actors",
                            placeholder="everyone")
    actions = c3.multiselect("What", sorted(window["action"].dropna().unique()), key="audit_actions",
                             placeholder="every action")
    search = st.text_input("Search (application id, model, person or detail; plain text)", key="audit_search",
                           max_chars=200)
    shown = audit_log(store, start, end, actors=actors, actions=actions, search=search)
    render_counts(shown)
    if shown.empty:
        st.info("No event matches these filters. Clear the search or pick other people or actions.")
        st.stop()
    render_events(shown, len(window), start, end)


def render_counts(shown: pd.DataFrame) -> None:
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Events", f"{len(shown):,}")
    m2.metric("People", f"{shown['actor'].nunique():,}")
    m3.metric("Application views", f"{int((shown['action'] == 'view_application').sum()):,}")
    m4.metric("Changes", f"{int((shown['kind'] != 'audit').sum()):,}",
              help="Overrides, policy and assumption changes, promotions and registrations.")


def render_events(shown: pd.DataFrame, in_window: int, start: dt.date, end: dt.date) -> None:
    """The filtered events, their CSV export (itself audited) and how many of the window they are."""
    st.dataframe(shown.drop(columns=["kind", "id"]), hide_index=True, width="stretch",
                 column_config={"at": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                                "detail": st.column_config.TextColumn("detail", width="large")})
    st.download_button("Export CSV", audit_csv(shown), file_name=f"audit-{start}-{end}.csv", mime="text/csv",
                       disabled=not can("export_audit"), key="audit_export", on_click=audit,
                       args=("export_audit",),
                       kwargs={"detail": {"rows": str(len(shown)), "from": str(start), "to": str(end)}})
    last = pd.Timestamp(shown["at"].max())
    st.caption(f"{len(shown):,} of {in_window:,} events in the window; the latest at "
               f"{last:%Y-%m-%d %H:%M:%S} UTC.")
