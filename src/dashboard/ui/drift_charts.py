"""Plotly figures for the Drift page: pure functions of frames, no Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 340,
          "legend": {"orientation": "h", "y": -0.2}}
REF_COLOR, CUR_COLOR, BAD_COLOR = "#7f8c8d", "#1f4e79", "#c0392b"
# PSI colours: green below 0.1, amber to 0.25, red above (the credit convention).
PSI_SCALE = [[0.0, "#eaf5ea"], [0.2, "#a9d8a9"], [0.2001, "#fde9a9"], [0.5, "#f5b041"],
             [0.5001, "#f1948a"], [1.0, "#922b21"]]
PSI_MAX = 0.5


def plotly_psi_heatmap(period_psi: pd.DataFrame, order: list[str], title: str) -> go.Figure:
    """PSI per feature (rows, in `order`) and week (columns); capped at 0.5 for colour."""
    table = period_psi.pivot_table(index="feature", columns="period", values="psi", aggfunc="first")
    table = table.reindex([f for f in order if f in table.index])
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy().clip(0, PSI_MAX), x=table.columns, y=table.index, zmin=0, zmax=PSI_MAX,
        colorscale=PSI_SCALE, customdata=table.to_numpy(),
        hovertemplate="%{y}<br>week of %{x|%d %b %Y}<br>PSI %{customdata:.3f}<extra></extra>",
        colorbar={"title": "PSI", "tickvals": [0, 0.1, 0.25, 0.5], "ticktext": ["0", "0.1", "0.25", "≥0.5"]}))
    fig.update_layout(title=title, **{**LAYOUT, "height": max(320, 22 * len(table) + 120)})
    fig.update_yaxes(autorange="reversed")
    return fig


def plotly_feature_overlay(overlay: pd.DataFrame, feature: str, ref_label: str, cur_label: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=overlay["bin"], y=overlay["reference"], name=f"reference ({ref_label})",
                         marker_color=REF_COLOR, opacity=0.6))
    fig.add_trace(go.Bar(x=overlay["bin"], y=overlay["current"], name=f"current ({cur_label})",
                         marker_color=CUR_COLOR, opacity=0.6))
    fig.update_layout(title=f"{feature}: share of rows per reference bin", barmode="overlay", **LAYOUT)
    fig.update_yaxes(tickformat=".1%", title_text="share of rows")
    fig.update_xaxes(type="category", title_text="bin (reference quantiles or categories)")
    return fig


def plotly_score_overlay(ref: pd.DataFrame, cur: pd.DataFrame, cutoff: float) -> go.Figure:
    """Score distributions (50 bins) of both windows with the cutoff."""
    fig = go.Figure()
    for frame, name, color in ((ref, "reference", REF_COLOR), (cur, "current", CUR_COLOR)):
        fig.add_trace(go.Bar(x=(frame["lo"] + frame["hi"]) / 2, y=frame["share"], name=name,
                             marker_color=color, opacity=0.6, width=(frame["hi"] - frame["lo"]).iloc[0]))
    fig.add_vline(x=cutoff, line_dash="dash", line_color=BAD_COLOR, annotation_text=f"cutoff {cutoff:g}")
    fig.update_layout(title="Score distribution (probability of the bad outcome)", barmode="overlay", **LAYOUT)
    fig.update_yaxes(tickformat=".0%", title_text="share of rows")
    fig.update_xaxes(title_text="score", range=[0, 1])
    return fig


def plotly_approval_trend(trend: pd.DataFrame, cutoff: float) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=trend["period"], y=trend["n"], name="applications", marker_color="#d6e4f0"),
                  secondary_y=True)
    if trend["approval_rate"].notna().any():
        fig.add_trace(go.Scatter(x=trend["period"], y=trend["approval_rate"], name="approval rate (decisions taken)",
                                 mode="lines", line={"color": CUR_COLOR}), secondary_y=False)
    fig.add_trace(go.Scatter(x=trend["period"], y=trend["below_cutoff"], name=f"share of scores below {cutoff:g}",
                             mode="lines", line={"color": REF_COLOR, "dash": "dot"}), secondary_y=False)
    fig.update_yaxes(tickformat=".0%", title_text="rate", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="applications", secondary_y=True, showgrid=False)
    fig.update_layout(title="Approval rate over time (weekly)", hovermode="x unified", **LAYOUT)
    return fig


def plotly_calibration_trend(series: pd.DataFrame, baseline_ratio: float | None) -> go.Figure:
    """Realized vs expected bad rate of matured loans per month, and the AUC."""
    judged = series[series["judged"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=judged["period"], y=judged["expected_rate"], name="expected (mean score)",
                             mode="lines+markers", line={"color": REF_COLOR, "dash": "dot"}), secondary_y=False)
    fig.add_trace(go.Scatter(x=judged["period"], y=judged["realized_rate"], name="realized bad rate",
                             mode="lines+markers", line={"color": BAD_COLOR}), secondary_y=False)
    flagged = judged[judged["relation_changed"]]
    if not flagged.empty:
        fig.add_trace(go.Scatter(x=flagged["period"], y=flagged["realized_rate"], name="calibration drift",
                                 mode="markers", marker={"symbol": "x", "size": 12, "color": "#000"}),
                      secondary_y=False)
    fig.add_trace(go.Scatter(x=judged["period"], y=judged["auc"], name="AUC (matured labels)",
                             mode="lines", line={"color": CUR_COLOR, "width": 1}), secondary_y=True)
    fig.update_yaxes(tickformat=".0%", title_text="bad rate", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="AUC", secondary_y=True, showgrid=False)
    title = "Realized vs expected bad rate by month of decision (matured labels only)"
    if baseline_ratio is not None:
        title += f"; reference observed/expected {baseline_ratio:.2f}"
    fig.update_layout(title=title, hovermode="x unified", **LAYOUT)
    return fig


def plotly_calibration_bands(bands: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=bands["band"], y=bands["expected_cur"], name="expected (mean score)",
                         marker_color=REF_COLOR))
    fig.add_trace(go.Bar(x=bands["band"], y=bands["realized_cur"], name="realized, current", marker_color=BAD_COLOR))
    if bands["realized_ref"].notna().any():
        fig.add_trace(go.Scatter(x=bands["band"], y=bands["realized_ref"], name="realized, reference",
                                 mode="markers", marker={"color": "#000", "size": 9}))
    fig.update_layout(title="Bad rate by score band, current window", barmode="group", **LAYOUT)
    fig.update_yaxes(tickformat=".0%", title_text="bad rate")
    fig.update_xaxes(title_text="score band")
    return fig
