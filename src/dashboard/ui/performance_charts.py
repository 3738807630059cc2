"""Plotly figures for the Performance page: pure functions of small data frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.ui.charts import LAYOUT

REALIZED = "#1f4e79"
ESTIMATE = "#e67e22"
MATURITY = "#d9d9d9"


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(title=title, **{**LAYOUT, "height": height})
    return fig


def plotly_realized_vs_estimated(periods: pd.DataFrame, realized: str, estimate: str, title: str,
                                 axis_title: str, percent: bool = False,
                                 reference: float | None = None, reference_name: str = "") -> go.Figure:
    """Realized metric (solid) beside the CBPE estimate (dashed, marked as such), with maturity bars."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=periods["period"], y=periods["label_maturity"], name="label maturity (share with outcome)",
                         marker_color=MATURITY, opacity=0.6), secondary_y=True)
    fig.add_trace(go.Scatter(x=periods["period"], y=periods[realized], name="realized (matured outcomes)",
                             mode="lines+markers", line={"color": REALIZED}), secondary_y=False)
    if estimate in periods and periods[estimate].notna().any():
        fig.add_trace(go.Scatter(x=periods["period"], y=periods[estimate], name="ESTIMATE (CBPE, no labels needed)",
                                 mode="lines+markers", line={"color": ESTIMATE, "dash": "dash"},
                                 marker={"symbol": "circle-open"}), secondary_y=False)
    if reference is not None:
        fig.add_hline(y=reference, line={"color": "#7f8c8d", "dash": "dot"}, annotation_text=reference_name,
                      annotation_position="top left")
    fig.update_yaxes(title_text=axis_title, tickformat=".0%" if percent else ".2f", secondary_y=False)
    fig.update_yaxes(title_text="maturity", tickformat=".0%", range=[0, 1], secondary_y=True, showgrid=False)
    return _layout(fig, title)


def plotly_metric_lines(periods: pd.DataFrame, columns: dict[str, str], title: str) -> go.Figure:
    """Several realized metrics over time (one line each)."""
    fig = go.Figure()
    for col, name in columns.items():
        if col in periods:
            fig.add_trace(go.Scatter(x=periods["period"], y=periods[col], name=name, mode="lines+markers"))
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, title)


def plotly_calibration(curve: pd.DataFrame, title: str = "Calibration (reliability) on matured outcomes") -> go.Figure:
    """Observed bad rate against the mean score per score decile; the diagonal is perfect calibration."""
    fig = go.Figure()
    top = float(max(curve["predicted"].max(), curve["observed"].max(), 0.05)) if not curve.empty else 1.0
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], name="perfectly calibrated", mode="lines",
                             line={"color": "#7f8c8d", "dash": "dot"}))
    for cohort, part in curve.groupby("cohort", sort=False):
        fig.add_trace(go.Scatter(x=part["predicted"], y=part["observed"], name=str(cohort), mode="lines+markers",
                                 customdata=part[["n"]], hovertemplate="score %{x:.3f}<br>observed %{y:.3f}"
                                 "<br>%{customdata[0]:,} loans<extra></extra>"))
    fig.update_xaxes(title_text="mean score (predicted P(bad))", tickformat=".0%")
    fig.update_yaxes(title_text="observed bad rate", tickformat=".0%")
    fig.update_layout(hovermode="closest")
    return _layout(fig, title)


def plotly_score_distribution(dist: pd.DataFrame, cutoff: float | None = None,
                              title: str = "Score distribution") -> go.Figure:
    fig = go.Figure()
    for cohort, part in dist.groupby("cohort", sort=False):
        fig.add_trace(go.Bar(x=part["score_from"], y=part["share"], name=str(cohort), opacity=0.6,
                             offset=0, width=float(part["score_from"].diff().dropna().min() or 0.02)))
    if cutoff is not None:
        fig.add_vline(x=cutoff, line={"color": "#c0392b", "dash": "dash"}, annotation_text=f"cutoff {cutoff:.3f}")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text="score (P(bad))", range=[0, min(1.0, float(dist["score_from"].max()) + 0.02)]
                     if not dist.empty else None)
    fig.update_yaxes(title_text="share of applications", tickformat=".0%")
    return _layout(fig, title)


def plotly_psi(periods: pd.DataFrame, warning: float, critical: float,
               title: str = "Score PSI against the reference window") -> go.Figure:
    fig = go.Figure(go.Scatter(x=periods["period"], y=periods["psi"], name="score PSI", mode="lines+markers",
                               line={"color": REALIZED}))
    fig.add_hline(y=warning, line={"color": "#f39c12", "dash": "dot"}, annotation_text=f"warning {warning}")
    fig.add_hline(y=critical, line={"color": "#c0392b", "dash": "dot"}, annotation_text=f"critical {critical}")
    fig.update_yaxes(rangemode="tozero", title_text="PSI")
    return _layout(fig, title)


def plotly_latency(periods: pd.DataFrame, warning: float | None = None,
                   title: str = "Scoring latency") -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=periods["period"], y=periods["latency_p50"], name="p50", mode="lines+markers"))
    fig.add_trace(go.Scatter(x=periods["period"], y=periods["latency_p95"], name="p95", mode="lines+markers"))
    if warning is not None:
        fig.add_hline(y=warning, line={"color": "#f39c12", "dash": "dot"}, annotation_text=f"p95 warning {warning:g} ms")
    fig.update_yaxes(title_text="milliseconds", rangemode="tozero")
    return _layout(fig, title)


def plotly_validation(validation: pd.DataFrame, title: str = "Estimate against the truth, once labels arrived") -> go.Figure:
    """Realized AUC with its sampling noise (2 SE) and the estimate made without labels."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=validation["cohort"], y=validation["realized AUC"], name="realized AUC (+/- 2 SE noise)",
                             mode="markers", marker={"color": REALIZED, "size": 9},
                             error_y={"type": "data", "array": validation["noise (2 SE)"], "visible": True}))
    fig.add_trace(go.Scatter(x=validation["cohort"], y=validation["estimated AUC"], name="ESTIMATE (CBPE)",
                             mode="markers", marker={"color": ESTIMATE, "size": 11, "symbol": "diamond-open"}))
    fig.update_yaxes(title_text="AUC")
    fig.update_xaxes(type="category")
    return _layout(fig, title)


def plotly_confusion(tp: float, fp: float, fn: float, tn: float, title: str) -> go.Figure:
    """Expected confusion matrix (counts) as a heatmap: rows truth, columns decision."""
    z = [[tp, fn], [fp, tn]]
    text = [[f"{v:,.0f}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(z=z, x=["declined (score >= cutoff)", "approved"], y=["would default", "would repay"],
                               text=text, texttemplate="%{text}", colorscale="Blues", showscale=False))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=300)
