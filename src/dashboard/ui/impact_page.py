"""The Impact page: the executive's seven-point scorecard for a period, read from rollups."""

from __future__ import annotations

import streamlit as st

from dashboard.analytics.scorecard import POINTS
from dashboard.ui import data
from dashboard.ui.impact import (
    config_signature,
    load_impact_cached,
    load_span_cached,
    render_downloads,
    render_period_picker,
    render_point,
    render_status_strip,
)


def render() -> None:
    st.title("Impact")
    st.caption("Is the AI paying off? Seven points, each with its value, the change against the previous "
               "period, a target and a status. Open \"How it was computed\" under any point to see its "
               "inputs and formula.")
    store = data.get_store()
    path, version = str(store.root), store.version()
    span = load_span_cached(path, version)
    if span is None:
        st.info("This store holds no decisions by a champion model yet. Build the demo store with `make run` "
                "(or `dashboard demo`), or register a model and ingest its prediction logs: see the README.")
        st.stop()

    period = render_period_picker(span)
    if period is None:
        st.stop()
    st.query_params["period"] = period.label  # the address bar now links to this period
    result = load_impact_cached(path, version, period.label, config_signature())
    for warning in result.warnings:
        st.warning(warning, icon=":material/flag:")
    if result.scorecard is None:
        if result.assumptions is None:
            st.warning(result.message, icon=":material/error:")
        else:
            st.info(result.message)
        st.stop()
    card = result.scorecard
    st.caption(f"Decisions by the champion **{card.model_id}** from {card.period.start:%d %b %Y} to "
               f"{card.period.end:%d %b %Y}; changes are against {card.previous_period.label}.")
    for note in card.notes:
        st.info(note)
    render_status_strip(card)
    render_downloads(card, result)
    for point in POINTS:
        render_point(card, result.trend, point, result)
