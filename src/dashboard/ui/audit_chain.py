"""The Audit page's line on the records' hash chain: intact, broken (where), or events from before
the chain existed (unchained), for the days the page shows."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import streamlit as st

from dashboard.services.audit import verify_records

if TYPE_CHECKING:
    from dashboard.store import Store


def render_chain_state(store: Store, start: dt.date, end: dt.date) -> None:
    report = verify_records(store, start, end)
    broken = report.first_break
    unchained = (f" {report.unchained:,} events from before the chain existed carry no hash: they are unchained, "
                 "not checked." if report.unchained else "")
    if broken is not None:
        st.error(f"Records chain broken at {broken.kind} on {broken.day}: {broken.broken}. A record was edited, "
                 f"deleted or reordered outside the dashboard; `dashboard audit verify` names the first broken "
                 f"link.{unchained}", icon=":material/gpp_bad:")
    elif report.state == "intact":
        st.success(f"Records chain intact between {start} and {end}: {report.chained:,} chained events in "
                   f"{len(report.days):,} kind-days, none edited, deleted or reordered.{unchained}",
                   icon=":material/verified_user:")
    elif report.state == "unchained":
        st.info(f"Records chain: the {report.unchained:,} events between {start} and {end} are from before the "
                "chain existed: unchained, they cannot be checked.", icon=":material/info:")
