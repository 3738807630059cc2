"""Plotly figures for the Performance page: pure functions of small data frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics.performance import LATENCY_BOUND
from dashboard.ui.charts import LAYOUT, Overlays, figure, two_axes

REALIZED = "#1f4e79"
ESTIMATE = "#e67e22"
MATURITY = "#d9d9d9"


def _layout(title: str, height: int = 340, **extra: object) -> dict[str, object]:
    return {"title": {"text": title}, **LAYOUT, "height": height, **extra}


def _line(x: object, y: object, name: str, **style: object) -> dict[str, object]:
    return {"type": "scatter", "x": x, "y": y, "name": name, "mode": "lines+markers", **style}


def plotly_realized_vs_estimated(periods: pd.DataFrame, realized: str, estimate: str, title: str,
                                 axis_title: str, percent: bool = False,
                                 reference: float | None = None, reference_name: str = "") -> go.Figure:
    """Realized metric (solid) beside the CBPE estimate (dashed, marked as such), with maturity bars."""
    traces: list[dict[str, object]] = [
        {"type": "bar", "x": periods["period"], "y": periods["label_maturity"], "yaxis": "y2",
         "name": "label maturity (share with outcome)", "marker": {"color": MATURITY}, "opacity": 0.6},
        _line(periods["period"], periods[realized], "realized (matured outcomes)", line={"color": REALIZED}),
    ]
    if estimate in periods and periods[estimate].notna().any():
        traces.append(_line(periods["period"], periods[estimate], "ESTIMATE (CBPE, no labels needed)",
                            line={"color": ESTIMATE, "dash": "dash"}, marker={"symbol": "circle-open"}))
    marks = Overlays()
    if reference is not None:
        marks.hline(reference, {"color": "#7f8c8d", "dash": "dot"}, reference_name, "top left")
    axes = two_axes({"title": {"text": axis_title}, "tickformat": ".0%" if percent else ".2f"},
                    {"title": {"text": "maturity"}, "tickformat": ".0%", "range": [0, 1], "showgrid": False})
    return figure(traces, _layout(title, **axes), marks)


def plotly_metric_lines(periods: pd.DataFrame, columns: dict[str, str], title: str) -> go.Figure:
    """Several realized metrics over time (one line each)."""
    traces = [_line(periods["period"], periods[col], name) for col, name in columns.items() if col in periods]
    return figure(traces, _layout(title, yaxis={"rangemode": "tozero"}))


def plotly_calibration(curve: pd.DataFrame, title: str = "Calibration (reliability) on matured outcomes") -> go.Figure:
    """Observed bad rate against the mean score per score decile; the diagonal is perfect calibration."""
    top = float(max(curve["predicted"].max(), curve["observed"].max(), 0.05)) if not curve.empty else 1.0
    traces: list[dict[str, object]] = [{"type": "scatter", "x": [0, top], "y": [0, top], "mode": "lines",
                                        "name": "perfectly calibrated", "line": {"color": "#7f8c8d", "dash": "dot"}}]
    for cohort, part in curve.groupby("cohort", sort=False):
        traces.append(_line(part["predicted"], part["observed"], str(cohort), customdata=part[["n"]].to_numpy(),
                            hovertemplate="score %{x:.3f}<br>observed %{y:.3f}<br>%{customdata[0]:,} loans"
                                          "<extra></extra>"))
    return figure(traces, _layout(title, hovermode="closest",
                                  xaxis={"title": {"text": "mean score (predicted P(bad))"}, "tickformat": ".0%"},
                                  yaxis={"title": {"text": "observed bad rate"}, "tickformat": ".0%"}))


def plotly_score_distribution(dist: pd.DataFrame, cutoff: float | None = None,
                              title: str = "Score distribution") -> go.Figure:
    traces = [{"type": "bar", "x": part["score_from"], "y": part["share"], "name": str(cohort), "opacity": 0.6,
               "offset": 0, "width": float(part["score_from"].diff().dropna().min() or 0.02)}
              for cohort, part in dist.groupby("cohort", sort=False)]
    marks = Overlays()
    if cutoff is not None:
        marks.vline(cutoff, {"color": "#c0392b", "dash": "dash"}, f"cutoff {cutoff:.3f}")
    xaxis: dict[str, object] = {"title": {"text": "score (P(bad))"}}
    if not dist.empty:
        xaxis["range"] = [0, min(1.0, float(dist["score_from"].max()) + 0.02)]
    return figure(traces, _layout(title, barmode="overlay", xaxis=xaxis,
                                  yaxis={"title": {"text": "share of applications"}, "tickformat": ".0%"}), marks)


def plotly_psi(periods: pd.DataFrame, warning: float, critical: float,
               title: str = "Score PSI against the reference window") -> go.Figure:
    marks = Overlays().hline(warning, {"color": "#f39c12", "dash": "dot"}, f"warning {warning}")
    marks.hline(critical, {"color": "#c0392b", "dash": "dot"}, f"critical {critical}")
    return figure([_line(periods["period"], periods["psi"], "score PSI", line={"color": REALIZED})],
                  _layout(title, yaxis={"rangemode": "tozero", "title": {"text": "PSI"}}), marks)


def latency_caption(periods: pd.DataFrame) -> str:
    """How the latency percentiles were read, and their bound (periods: latency_note per row)."""
    text = f"Percentiles of the scoring latency {LATENCY_BOUND} (1 microsecond and above)."
    notes = periods["latency_note"].dropna() if "latency_note" in periods else pd.Series(dtype=object)
    if not notes.empty:
        months = ", ".join(f"{pd.Timestamp(p):%Y-%m-%d}" for p in periods.loc[notes.index, "period"])
        text += f" Periods starting {months}: {notes.iloc[0]}."
    return text


def plotly_latency(periods: pd.DataFrame, warning: float | None = None,
                   title: str = "Scoring latency") -> go.Figure:
    if "latency_note" in periods and periods["latency_note"].notna().any():
        title += " (some periods: upper bin edges, see below)"
    marks = Overlays()
    if warning is not None:
        marks.hline(warning, {"color": "#f39c12", "dash": "dot"}, f"p95 warning {warning:g} ms")
    return figure([_line(periods["period"], periods["latency_p50"], "p50"),
                   _line(periods["period"], periods["latency_p95"], "p95")],
                  _layout(title, yaxis={"title": {"text": "milliseconds"}, "rangemode": "tozero"}), marks)


def plotly_validation(validation: pd.DataFrame, title: str = "Estimate against the truth, once labels arrived") -> go.Figure:
    """Realized AUC with its sampling noise (2 SE) and the estimate made without labels."""
    return figure([
        {"type": "scatter", "x": validation["cohort"], "y": validation["realized AUC"],
         "name": "realized AUC (+/- 2 SE noise)", "mode": "markers", "marker": {"color": REALIZED, "size": 9},
         "error_y": {"type": "data", "array": validation["noise (2 SE)"], "visible": True}},
        {"type": "scatter", "x": validation["cohort"], "y": validation["estimated AUC"], "name": "ESTIMATE (CBPE)",
         "mode": "markers", "marker": {"color": ESTIMATE, "size": 11, "symbol": "diamond-open"}},
    ], _layout(title, yaxis={"title": {"text": "AUC"}}, xaxis={"type": "category"}))


def plotly_confusion(tp: float, fp: float, fn: float, tn: float, title: str) -> go.Figure:
    """Expected confusion matrix (counts) as a heatmap: rows truth, columns decision."""
    z = [[tp, fn], [fp, tn]]
    text = [[f"{v:,.0f}" for v in row] for row in z]
    return figure([{"type": "heatmap", "z": z, "x": ["declined (score >= cutoff)", "approved"],
                    "y": ["would default", "would repay"], "text": text, "texttemplate": "%{text}",
                    "colorscale": "Blues", "showscale": False}],
                  _layout(title, height=300, yaxis={"autorange": "reversed"}))
