"""Plotly figures of the Impact page: pure functions of the monthly trend frame."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics.impact import FigureSpec, Target
from dashboard.ui.charts import Overlays, figure

UNIT_AXIS = {"eur": ("EUR", ",.0f"), "hours": ("hours", ",.0f"), "count": ("count", ",.0f"),
             "share": ("", ".0%"), "ratio": ("ratio", ".2f"), "seconds": ("seconds", ",.2f"),
             "index": ("PSI", ".2f")}


def plotly_impact_trend(trend: pd.DataFrame, spec: FigureSpec, monthly_target: Target | None = None,
                        selected: tuple[dt.date, dt.date] | None = None, height: int = 230) -> go.Figure:
    """The figure's value by month, its target band and the selected period shaded."""
    title, fmt = UNIT_AXIS.get(spec.unit, ("", ",.2f"))
    traces = []
    if not trend.empty and spec.key in trend:
        traces.append({"type": "scatter", "x": trend["period"], "y": trend[spec.key], "mode": "lines+markers",
                       "name": spec.label, "line": {"color": "#1f4e79"},
                       "hovertemplate": f"%{{x|%b %Y}}: %{{y:{fmt}}}<extra></extra>"})
    marks = Overlays()
    if monthly_target is not None:
        marks.hline(monthly_target.target, {"color": "#1e7b34", "dash": "dash", "width": 1}, "target", "top left")
        marks.hline(monthly_target.at_risk, {"color": "#b42318", "dash": "dot", "width": 1}, "at risk beyond",
                    "bottom left")
    if selected is not None:
        marks.vrect(pd.Timestamp(selected[0]), pd.Timestamp(selected[1]) + pd.Timedelta(days=1), "#f4b400", 0.15)
    return figure(traces, {"title": {"text": f"{spec.label} by month", "font": {"size": 13}}, "height": height,
                           "margin": {"l": 10, "r": 10, "t": 35, "b": 10}, "showlegend": False,
                           "hovermode": "x unified", "yaxis": {"title": {"text": title}, "tickformat": fmt}}, marks)
