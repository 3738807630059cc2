"""Plotly figure builders: pure functions of data frames, no Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 320, "hovermode": "x unified",
          "legend": {"orientation": "h", "y": -0.2}}


def plotly_volume_approval(trend: pd.DataFrame, title: str = "Applications and approval rate") -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=trend["period"], y=trend["applications"], name="applications",
                         marker_color="#9bb7d4"), secondary_y=False)
    fig.add_trace(go.Scatter(x=trend["period"], y=trend["approval_rate"], name="approval rate",
                             mode="lines+markers", line={"color": "#1f4e79"}), secondary_y=True)
    fig.update_yaxes(title_text="applications", secondary_y=False)
    fig.update_yaxes(title_text="approval rate", tickformat=".0%", secondary_y=True, rangemode="tozero")
    fig.update_layout(title=title, **LAYOUT)
    return fig


def plotly_bad_rate_maturity(trend: pd.DataFrame, title: str = "Realized bad rate on matured loans") -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=trend["period"], y=trend["label_maturity"], name="label maturity (share with outcome)",
                         marker_color="#d9d9d9"), secondary_y=True)
    fig.add_trace(go.Scatter(x=trend["period"], y=trend["realized_bad_rate"], name="bad rate among approved",
                             mode="lines+markers", line={"color": "#c0392b"}), secondary_y=False)
    fig.update_yaxes(title_text="bad rate", tickformat=".0%", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="maturity", tickformat=".0%", range=[0, 1], secondary_y=True)
    fig.update_layout(title=title, **LAYOUT)
    return fig
