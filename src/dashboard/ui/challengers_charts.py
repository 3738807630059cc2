"""Figures for the Challengers page: pure functions of data frames, no Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics.drift_thresholds import DriftThresholds
from dashboard.ui.charts import LAYOUT

PALETTE = ("#1f4e79", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085")
METRIC_LABELS = {"auc": "AUC", "ks": "KS", "gini": "Gini", "brier": "Brier score (lower is better)"}
METRIC_NAMES = {"auc": "AUC", "ks": "KS", "gini": "Gini", "brier": "Brier"}


def _colors(models: list[str]) -> dict[str, str]:
    return {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(models)}


def plotly_metric_intervals(metrics: pd.DataFrame, metric: str) -> go.Figure:
    """Each model's metric with its bootstrap 95% interval."""
    fig = go.Figure()
    colors = _colors(list(metrics["model_id"]))
    for _, row in metrics.iterrows():
        if pd.isna(row[metric]):
            continue
        lo = row[f"{metric}_lo"] if pd.notna(row[f"{metric}_lo"]) else row[metric]
        hi = row[f"{metric}_hi"] if pd.notna(row[f"{metric}_hi"]) else row[metric]
        fig.add_trace(go.Scatter(
            x=[row[metric]], y=[row["model_id"]], mode="markers", name=row["model_id"],
            marker={"size": 11, "color": colors[row["model_id"]]},
            error_x={"type": "data", "symmetric": False, "array": [hi - row[metric]],
                     "arrayminus": [row[metric] - lo]},
            hovertemplate=f"%{{y}}: %{{x:.4f}} (95% interval {lo:.4f} to {hi:.4f})<extra></extra>"))
    fig.update_layout(title=f"{METRIC_LABELS.get(metric, metric)} with 95% bootstrap interval",
                      showlegend=False, **{**LAYOUT, "height": 90 + 45 * max(len(metrics), 1),
                                           "hovermode": "closest"})
    return fig


def plotly_difference_intervals(metrics: pd.DataFrame, metric: str, champion: str) -> go.Figure:
    """Each challenger's metric minus the champion's with its paired 95% interval, against a line at 0."""
    fig = go.Figure()
    colors = _colors(list(metrics["model_id"]))
    shown = metrics[(metrics["model_id"] != champion) & metrics[f"{metric}_diff"].notna()]
    for _, row in shown.iterrows():
        d = row[f"{metric}_diff"]
        lo = row[f"{metric}_diff_lo"] if pd.notna(row[f"{metric}_diff_lo"]) else d
        hi = row[f"{metric}_diff_hi"] if pd.notna(row[f"{metric}_diff_hi"]) else d
        fig.add_trace(go.Scatter(
            x=[d], y=[row["model_id"]], mode="markers", name=row["model_id"],
            marker={"size": 11, "color": colors[row["model_id"]]},
            error_x={"type": "data", "symmetric": False, "array": [hi - d], "arrayminus": [d - lo]},
            hovertemplate=f"%{{y}} minus {champion}: %{{x:+.4f}} (95% interval {lo:+.4f} to {hi:+.4f}: "
                          f"{row[f'{metric}_verdict']})<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#999")
    fig.update_layout(title=f"{METRIC_LABELS.get(metric, metric)}: challenger minus {champion} (paired 95% interval)",
                      showlegend=False, **{**LAYOUT, "height": 90 + 45 * max(len(shown), 1),
                                           "hovermode": "closest"})
    return fig


def plotly_curves(frame: pd.DataFrame, kind: str) -> go.Figure:
    """ROC, precision-recall or calibration curves, one line per model."""
    titles = {"roc": ("ROC curve", "false positive rate (goods declined)", "true positive rate (bads caught)"),
              "pr": ("Precision-recall curve", "recall (bads caught)", "precision (bads among flagged)"),
              "calibration": ("Calibration (10 quantile bins)", "mean predicted P(bad)", "observed bad rate")}
    title, xlab, ylab = titles[kind]
    fig = go.Figure()
    models = list(dict.fromkeys(frame["model_id"])) if not frame.empty else []
    colors = _colors(models)
    if kind in ("roc", "calibration") and not frame.empty:
        top = 1.0 if kind == "roc" else float(max(frame["x"].max(), frame["y"].max()))
        fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="chance" if kind == "roc" else "perfect",
                                 line={"dash": "dot", "color": "#999"}))
    for m in models:
        part = frame[frame["model_id"] == m]
        fig.add_trace(go.Scatter(x=part["x"], y=part["y"], mode="lines+markers" if kind == "calibration" else "lines",
                                 name=m, line={"color": colors[m]}))
    fig.update_layout(title=title, xaxis_title=xlab, yaxis_title=ylab, **{**LAYOUT, "hovermode": "closest"})
    return fig


def plotly_gains(gains: pd.DataFrame) -> go.Figure:
    """Cumulative share of bads captured by decile, riskiest first."""
    fig = go.Figure()
    models = list(dict.fromkeys(gains["model_id"])) if not gains.empty else []
    colors = _colors(models)
    fig.add_trace(go.Scatter(x=list(range(0, 11)), y=[i / 10 for i in range(0, 11)], mode="lines",
                             name="random", line={"dash": "dot", "color": "#999"}))
    for m in models:
        part = gains[gains["model_id"] == m]
        fig.add_trace(go.Scatter(x=[0, *part["decile"]], y=[0, *part["cum_bads_captured"]], mode="lines+markers",
                                 name=m, line={"color": colors[m]}))
    fig.update_layout(title="Gains: share of bads in the riskiest deciles", xaxis_title="decile (riskiest first)",
                      yaxis_title="cumulative share of bads", yaxis_tickformat=".0%", **LAYOUT)
    return fig


def plotly_psi_over_time(psi: pd.DataFrame) -> go.Figure:
    """Score PSI per month against each model's first month, with the Drift page's PSI bands."""
    fig = go.Figure()
    models = list(dict.fromkeys(psi["model_id"])) if not psi.empty else []
    colors = _colors(models)
    for m in models:
        part = psi[psi["model_id"] == m]
        fig.add_trace(go.Scatter(x=part["month"], y=part["psi"], mode="lines+markers", name=m,
                                 line={"color": colors[m]}))
    bands = DriftThresholds()
    for level, label in ((bands.psi_watch, "moderate"), (bands.psi_shift, "significant")):
        fig.add_hline(y=level, line_dash="dot", line_color="#999", annotation_text=label,
                      annotation_position="top left")
    fig.update_layout(title="Score stability: PSI against the first month", yaxis_title="PSI", **LAYOUT)
    return fig


def plotly_tradeoff(table: pd.DataFrame) -> go.Figure:
    """Accuracy (AUC with interval) against the number of material features per model."""
    fig = go.Figure()
    colors = _colors(list(table["model_id"]))
    for _, row in table.iterrows():
        if pd.isna(row.get("auc")) or pd.isna(row.get("material_features")):
            continue
        lo = row["auc_lo"] if pd.notna(row["auc_lo"]) else row["auc"]
        hi = row["auc_hi"] if pd.notna(row["auc_hi"]) else row["auc"]
        symbol = "square" if bool(row.get("scorecard")) else "circle"
        fig.add_trace(go.Scatter(
            x=[row["material_features"]], y=[row["auc"]], mode="markers+text", text=[row["model_id"]],
            textposition="top center", name=row["model_id"],
            marker={"size": 14, "color": colors[row["model_id"]], "symbol": symbol},
            error_y={"type": "data", "symmetric": False, "array": [hi - row["auc"]], "arrayminus": [row["auc"] - lo]}))
    fig.update_layout(title="Accuracy against complexity (square: readable scorecard)",
                      xaxis_title="features carrying material importance (fewer is easier to explain)",
                      yaxis_title="AUC on matured loans", showlegend=False, **{**LAYOUT, "hovermode": "closest"})
    return fig
