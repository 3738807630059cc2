"""Plotly figures for the Drift page: pure functions of frames, no Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics.drift_thresholds import DriftThresholds
from dashboard.ui.charts import Overlays, figure, two_axes

LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 340,
          "legend": {"orientation": "h", "y": -0.2}}
REF_COLOR, CUR_COLOR, BAD_COLOR = "#7f8c8d", "#1f4e79", "#c0392b"
PSI_MAX = 0.5
# PSI colours: green below the watch band, amber up to the shift band, red above (the credit convention).
_WATCH, _SHIFT = DriftThresholds().psi_watch, DriftThresholds().psi_shift
PSI_SCALE = [[0.0, "#eaf5ea"], [_WATCH / PSI_MAX, "#a9d8a9"], [_WATCH / PSI_MAX + 1e-4, "#fde9a9"],
             [_SHIFT / PSI_MAX, "#f5b041"], [_SHIFT / PSI_MAX + 1e-4, "#f1948a"], [1.0, "#922b21"]]


def _layout(title: str, **extra: object) -> dict[str, object]:
    return {"title": {"text": title}, **LAYOUT, **extra}


def plotly_psi_heatmap(period_psi: pd.DataFrame, order: list[str], title: str) -> go.Figure:
    """PSI per feature (rows, in `order`) and week (columns); capped at PSI_MAX for colour."""
    table = period_psi.pivot_table(index="feature", columns="period", values="psi", aggfunc="first")
    table = table.reindex([f for f in order if f in table.index])
    heat = {"type": "heatmap", "z": table.to_numpy().clip(0, PSI_MAX), "x": list(table.columns),
            "y": list(table.index), "zmin": 0, "zmax": PSI_MAX, "colorscale": PSI_SCALE,
            "customdata": table.to_numpy(),
            "hovertemplate": "%{y}<br>week of %{x|%d %b %Y}<br>PSI %{customdata:.3f}<extra></extra>",
            "colorbar": {"title": {"text": "PSI"}, "tickvals": [0, _WATCH, _SHIFT, PSI_MAX],
                         "ticktext": ["0", f"{_WATCH:g}", f"{_SHIFT:g}", f"≥{PSI_MAX:g}"]}}
    return figure([heat], _layout(title, height=max(320, 22 * len(table) + 120), yaxis={"autorange": "reversed"}))


def plotly_feature_overlay(overlay: pd.DataFrame, feature: str, ref_label: str, cur_label: str) -> go.Figure:
    return figure([
        {"type": "bar", "x": overlay["bin"], "y": overlay["reference"], "name": f"reference ({ref_label})",
         "marker": {"color": REF_COLOR}, "opacity": 0.6},
        {"type": "bar", "x": overlay["bin"], "y": overlay["current"], "name": f"current ({cur_label})",
         "marker": {"color": CUR_COLOR}, "opacity": 0.6},
    ], _layout(f"{feature}: share of rows per reference bin", barmode="overlay",
               yaxis={"tickformat": ".1%", "title": {"text": "share of rows"}},
               xaxis={"type": "category", "title": {"text": "bin (reference quantiles or categories)"}}))


def plotly_score_overlay(ref: pd.DataFrame, cur: pd.DataFrame, cutoff: float) -> go.Figure:
    """Score distributions (50 bins) of both windows with the cutoff."""
    traces = [{"type": "bar", "x": (frame["lo"] + frame["hi"]) / 2, "y": frame["share"], "name": name,
               "marker": {"color": color}, "opacity": 0.6, "width": float((frame["hi"] - frame["lo"]).iloc[0])}
              for frame, name, color in ((ref, "reference", REF_COLOR), (cur, "current", CUR_COLOR))]
    marks = Overlays().vline(cutoff, {"color": BAD_COLOR, "dash": "dash"}, f"cutoff {cutoff:g}")
    return figure(traces, _layout("Score distribution (probability of the bad outcome)", barmode="overlay",
                                  yaxis={"tickformat": ".0%", "title": {"text": "share of rows"}},
                                  xaxis={"title": {"text": "score"}, "range": [0, 1]}), marks)


def plotly_approval_trend(trend: pd.DataFrame, cutoff: float) -> go.Figure:
    traces: list[dict[str, object]] = [
        {"type": "bar", "x": trend["period"], "y": trend["n"], "name": "applications",
         "marker": {"color": "#d6e4f0"}, "yaxis": "y2"}]
    if trend["approval_rate"].notna().any():
        traces.append({"type": "scatter", "x": trend["period"], "y": trend["approval_rate"],
                       "name": "approval rate (decisions taken)", "mode": "lines", "line": {"color": CUR_COLOR}})
    traces.append({"type": "scatter", "x": trend["period"], "y": trend["below_cutoff"],
                   "name": f"share of scores below {cutoff:g}", "mode": "lines",
                   "line": {"color": REF_COLOR, "dash": "dot"}})
    return figure(traces, _layout("Approval rate over time (weekly)", hovermode="x unified", **two_axes(
        {"tickformat": ".0%", "title": {"text": "rate"}, "rangemode": "tozero"},
        {"title": {"text": "applications"}, "showgrid": False})))


def plotly_calibration_trend(series: pd.DataFrame, baseline_ratio: float | None) -> go.Figure:
    """Realized vs expected bad rate of matured loans per month, and the AUC."""
    judged = series[series["judged"]]
    traces: list[dict[str, object]] = [
        {"type": "scatter", "x": judged["period"], "y": judged["expected_rate"], "name": "expected (mean score)",
         "mode": "lines+markers", "line": {"color": REF_COLOR, "dash": "dot"}},
        {"type": "scatter", "x": judged["period"], "y": judged["realized_rate"], "name": "realized bad rate",
         "mode": "lines+markers", "line": {"color": BAD_COLOR}}]
    flagged = judged[judged["relation_changed"]]
    if not flagged.empty:
        traces.append({"type": "scatter", "x": flagged["period"], "y": flagged["realized_rate"],
                       "name": "calibration drift", "mode": "markers",
                       "marker": {"symbol": "x", "size": 12, "color": "#000"}})
    traces.append({"type": "scatter", "x": judged["period"], "y": judged["auc"], "name": "AUC (matured labels)",
                   "mode": "lines", "line": {"color": CUR_COLOR, "width": 1}, "yaxis": "y2"})
    title = "Realized vs expected bad rate by month of decision (matured labels only)"
    if baseline_ratio is not None:
        title += f"; reference observed/expected {baseline_ratio:.2f}"
    return figure(traces, _layout(title, hovermode="x unified", **two_axes(
        {"tickformat": ".0%", "title": {"text": "bad rate"}, "rangemode": "tozero"},
        {"title": {"text": "AUC"}, "showgrid": False})))


def plotly_calibration_bands(bands: pd.DataFrame) -> go.Figure:
    traces: list[dict[str, object]] = [
        {"type": "bar", "x": bands["band"], "y": bands["expected_cur"], "name": "expected (mean score)",
         "marker": {"color": REF_COLOR}},
        {"type": "bar", "x": bands["band"], "y": bands["realized_cur"], "name": "realized, current",
         "marker": {"color": BAD_COLOR}}]
    if bands["realized_ref"].notna().any():
        traces.append({"type": "scatter", "x": bands["band"], "y": bands["realized_ref"], "name": "realized, reference",
                       "mode": "markers", "marker": {"color": "#000", "size": 9}})
    return figure(traces, _layout("Bad rate by score band, current window", barmode="group",
                                  yaxis={"tickformat": ".0%", "title": {"text": "bad rate"}},
                                  xaxis={"title": {"text": "score band"}}))
