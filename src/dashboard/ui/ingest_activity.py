"""Overview's and Audit's ingest sections: each source's freshness, the API's rates, token use."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import streamlit as st

from dashboard.services.activity import (
    RATE_MINUTES,
    load_api_rates,
    load_source_freshness,
    load_token_use,
)
from dashboard.ui.format import fmt_int, fmt_pct

if TYPE_CHECKING:
    from dashboard.store import Store


def render_sources(store: Store) -> None:
    """Data freshness per source and the API's request and reject rates (read each refresh: small)."""
    st.markdown("**Freshness by source**")
    table = load_source_freshness(store)
    # A source that never wrote has no figures: named in a line, not shown as empty cells.
    unused = table["last write (UTC)"].isna()
    if (~unused).any():
        st.dataframe(table[~unused], hide_index=True, width="stretch",
                     column_config={"last write (UTC)": st.column_config.DatetimeColumn(
                         format="YYYY-MM-DD HH:mm:ss")})
    if unused.any():
        st.caption("No write yet from: " + ", ".join(table.loc[unused, "source"]) + ".")
    rates = load_api_rates(store)
    a1, a2, a3, a4 = st.columns(4)
    a1.metric(f"API requests/s, last {RATE_MINUTES} min", f"{rates.requests_per_second:,.2f}",
              help="Requests to the ingest API (every route and answer), from the counts it records every "
                   "few seconds.")
    a2.metric("API rows/s", f"{rates.rows_per_second:,.2f}")
    a3.metric("Rejected rows", fmt_pct(rates.rejected_row_share, 2),
              help="Rows the API rejected (422, kept in quarantine) over the rows it received.")
    a4.metric("Refused requests (401/403)", fmt_int(rates.refused),
              help=f"No, an unknown or an unauthorised token in the last {RATE_MINUTES} minutes; "
                   f"{fmt_int(rates.throttled)} more were asked to retry (429). The Audit page lists them.")


def render_token_use(store: Store, start: dt.date, end: dt.date) -> None:
    st.subheader("API token use")
    use = load_token_use(store, start, end)
    if use.empty:
        st.caption("No request to the ingest API in these dates.")
        return
    st.dataframe(use, hide_index=True, width="stretch",
                 column_config={"last use (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    st.caption("Counted by the API per token (\"anonymous\": no or an unknown token); each refusal is also in "
               "the trail above as `api_refused`.")
