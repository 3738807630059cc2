"""The "By segment" section of Performance and Drift: each figure per value of a segment column,
with the population behind it and its 95% interval, and where the model fails most."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.analytics.periods import PeriodError, custom_period
from dashboard.analytics.segments import ALL_VALUE, RANKED, SMALL_SEGMENT
from dashboard.services.segments import (
    DEFAULT_PERIOD,
    SegmentError,
    SegmentReport,
    build_segment_report,
    load_segment_columns,
    resolve_period,
)
from dashboard.services.stores import open_store
from dashboard.ui import data
from dashboard.ui.data import QUERY_TTL

METRIC_LABELS = {"auc": "AUC", "bad_rate": "bad rate", "approval_rate": "approval rate",
                 "calibration_ratio": "calibration ratio", "psi": "score PSI"}
PERCENT = {"bad_rate", "approval_rate"}


@st.cache_data(ttl=QUERY_TTL, show_spinner="Computing the figures by segment...")
def load_segment_report_cached(store_path: str, version: str, model_id: str, column: str, period: str,
                               window: tuple[dt.date, dt.date] | None) -> SegmentReport:
    store = open_store(store_path)
    chosen = custom_period(*window) if window is not None else resolve_period(store, model_id, period)
    return build_segment_report(store, model_id, column, chosen)


def _text(value: object, kind: str) -> str:
    """A cell as text: "n/a" where the figure is undefined (never None or nan)."""
    if not isinstance(value, float | int) or not np.isfinite(value):
        return "n/a"
    return {"pct": f"{value:.1%}", "num": f"{value:.3f}", "int": f"{int(value):,}"}[kind]


def _interval(lo: object, hi: object, kind: str) -> str:
    low, high = _text(lo, kind), _text(hi, kind)
    return "" if "n/a" in (low, high) else f"{low} to {high}"


def segment_table(figures: pd.DataFrame) -> pd.DataFrame:
    """The shown table: each figure beside its population and its 95% interval, as text."""
    f = figures.to_dict(orient="records")
    rows = [{"segment": r["value"] + (" (small)" if r["small"] and r["value"] != ALL_VALUE else ""),
             "applications": _text(r["applications"], "int"), "share": _text(r["share"], "pct"),
             "decided": _text(r["decided"], "int"), "approval rate": _text(r["approval_rate"], "pct"),
             "approval 95%": _interval(r["approval_lo"], r["approval_hi"], "pct"),
             "matured": _text(r["labelled"], "int"), "bads": _text(r["bads"], "int"),
             "bad rate": _text(r["bad_rate"], "pct"), "bad rate 95%": _interval(r["bad_rate_lo"], r["bad_rate_hi"], "pct"),
             "AUC": _text(r["auc"], "num"), "AUC +-bin": _text(r["auc_bound"], "num"),
             "AUC 95%": _interval(r["auc_lo"], r["auc_hi"], "num"),
             "calibration ratio": _text(r["calibration_ratio"], "num"),
             "calibration 95%": _interval(r["calibration_lo"], r["calibration_hi"], "num"),
             "score PSI": _text(r["psi"], "num"), "PSI status": r["psi_status"] if np.isfinite(r["psi"]) else "n/a"}
            for r in f]
    return pd.DataFrame(rows)


def render_segments(model_id: str, key: str, window: tuple[dt.date, dt.date] | None = None) -> None:
    """The section; `window`: the page's current window (Drift), else a period picked here."""
    store = data.get_store()
    columns, source = load_segment_columns(store, model_id)
    st.subheader("By segment")
    st.caption(f"Segment columns: {source}.")
    if not columns:
        st.info("This model has no segment column: declare `segments` in its card.")
        return
    left, right = st.columns([1, 1])
    column = left.selectbox("Segment column", columns, key=f"{key}_segment_column")
    period = DEFAULT_PERIOD
    if window is None:
        period = right.text_input("Period", DEFAULT_PERIOD, key=f"{key}_segment_period",
                                  help="YYYY-MM, YYYY-Qn, YYYY-MM-DD:YYYY-MM-DD, last-30d or last-3m")
    try:
        report = load_segment_report_cached(str(store.root), store.version(), model_id, str(column), period, window)
    except (SegmentError, PeriodError) as exc:
        st.info(str(exc))
        return
    render_segment_report(report, key)


def render_segment_report(report: SegmentReport, key: str) -> None:
    st.caption(f"{report.grouping}. {report.period.label}. " + " ".join(report.notes[1:]) +
               f" Segments with fewer than {SMALL_SEGMENT} matured outcomes are marked small: read their "
               "figures with the interval.")
    st.dataframe(segment_table(report.figures), hide_index=True, width="stretch")
    st.markdown("**Where is it failing**: segments worse than the whole portfolio, ranked by the gap times "
                "their share of the population behind the figure")
    metric = st.segmented_control("Figure", list(RANKED), default="auc", format_func=lambda m: METRIC_LABELS[m],
                                  key=f"{key}_segment_metric") or "auc"
    ranking = report.failing[metric]
    if ranking.empty:
        st.caption(f"No segment is worse than the portfolio on {METRIC_LABELS[metric]}.")
        return
    st.dataframe(ranking, hide_index=True, width="stretch", column_config={
        "figure": st.column_config.NumberColumn(METRIC_LABELS[metric], format="percent" if metric in PERCENT
                                                else "%.3f"),
        "portfolio": st.column_config.NumberColumn(format="percent" if metric in PERCENT else "%.3f"),
        "gap": st.column_config.NumberColumn(format="%.4f"),
        "weight": st.column_config.NumberColumn("share", format="percent"),
        "weighted_gap": st.column_config.NumberColumn("gap x share", format="%.4f"),
        "beyond_noise": st.column_config.CheckboxColumn("portfolio outside the 95% interval")})
