"""The table of approval rates by protected group, the same on every page that shows fairness."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.analytics.fairness import FOUR_FIFTHS


def render_group_table(rates: pd.DataFrame, min_group_size: int, container: object | None = None) -> None:
    """`fairness.compute_group_rates`' table: groups left out of the ratio are marked as such."""
    target = container if container is not None else st
    frame = rates.assign(counted=rates["counted"].map(
        {True: "yes", False: f"no: under {min_group_size} decided, or unknown"}))
    target.dataframe(frame, hide_index=True, width="stretch", column_config={  # type: ignore[attr-defined]
        "decided": st.column_config.NumberColumn("applications", format="%.0f"),
        "approved": st.column_config.NumberColumn("approved", format="%.0f"),
        "approval_rate": st.column_config.NumberColumn("approval rate", format="percent"),
        "adverse_impact_ratio": st.column_config.NumberColumn("adverse impact ratio", format="%.3f"),
        "four_fifths_ok": st.column_config.CheckboxColumn(f"ratio >= {FOUR_FIFTHS:g}"),
        "counted": st.column_config.TextColumn("in the ratio")})
