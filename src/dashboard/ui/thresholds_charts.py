"""Figures of the Thresholds page: pure functions of small frames, no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics.thresholds import FOUR_FIFTHS

LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 300, "hovermode": "x unified",
          "legend": {"orientation": "h", "y": -0.25}}
MARK_STYLE = {"in force": ("#7f7f7f", "dash"), "chosen": ("#1f4e79", "solid"),
              "profit-optimal": ("#2e8b57", "dot")}
COLORS = ("#1f4e79", "#c0392b", "#e08e0b", "#7d3c98", "#16a085", "#7f8c8d")


def _marks(fig: go.Figure, marks: Mapping[str, float | None]) -> None:
    """Vertical lines for the cutoff in force, the chosen one and the profit-optimal one."""
    merged: dict[float, list[str]] = {}
    for name, x in marks.items():
        if x is not None:
            merged.setdefault(round(float(x), 6), []).append(name)
    for i, (x, names) in enumerate(sorted(merged.items())):
        color, dash = MARK_STYLE.get(names[-1], ("#333333", "dashdot"))
        fig.add_vline(x=x, line_color=color, line_dash=dash, line_width=2,
                      annotation_text=f"{' = '.join(names)} {x:.3f}",
                      annotation_position="top right" if i % 2 else "top left",
                      annotation_font_color=color, annotation_font_size=10)


def plotly_threshold_curve(curves: pd.DataFrame, series: Sequence[tuple[str, str]], title: str,
                           marks: Mapping[str, float | None], tickformat: str = ",.0f",
                           x_range: tuple[float, float] = (0.0, 1.0)) -> go.Figure:
    """Lines of `series` (column, label) against the cutoff, with the policy marks."""
    fig = go.Figure()
    for i, (column, label) in enumerate(series):
        fig.add_trace(go.Scatter(x=curves["cutoff"], y=curves[column], mode="lines", name=label,
                                 line={"color": COLORS[i % len(COLORS)], "width": 2}))
    _marks(fig, marks)
    fig.update_xaxes(title_text="cutoff (decline at or above this score)", range=list(x_range))
    fig.update_yaxes(tickformat=tickformat, rangemode="tozero")
    fig.update_layout(title=title, **LAYOUT)
    return fig


def plotly_air_curve(curves: pd.DataFrame, marks: Mapping[str, float | None],
                     x_range: tuple[float, float] = (0.0, 1.0)) -> go.Figure:
    """Lowest adverse impact ratio per protected attribute against the cutoff, with 0.8 marked."""
    fig = go.Figure()
    for i, column in enumerate(c for c in curves.columns if c != "cutoff"):
        fig.add_trace(go.Scatter(x=curves["cutoff"], y=curves[column], mode="lines", name=column,
                                 line={"color": COLORS[i % len(COLORS)], "width": 2}))
    fig.add_hline(y=FOUR_FIFTHS, line_color="#c0392b", line_dash="dot",
                  annotation_text="four-fifths rule (0.8)", annotation_position="bottom right")
    _marks(fig, marks)
    fig.update_xaxes(title_text="cutoff", range=list(x_range))
    fig.update_yaxes(range=[0, 1.05], tickformat=".2f")
    fig.update_layout(title="Lowest adverse impact ratio by protected attribute", **LAYOUT)
    return fig


def plotly_group_approval(fairness: pd.DataFrame) -> go.Figure:
    """Approval rate per protected group; groups failing the four-fifths rule in red."""
    frame = fairness.dropna(subset=["approval_rate"])
    labels = frame["attribute"] + ": " + frame["group"].astype(str)
    colors = ["#c0392b" if ok is False else "#1f4e79" for ok in frame["four_fifths_ok"]]
    fig = go.Figure(go.Bar(x=frame["approval_rate"], y=labels, orientation="h", marker_color=colors,
                           text=[f"{r:.1%} (AIR {a:.2f})" for r, a in
                                 zip(frame["approval_rate"], frame["adverse_impact_ratio"], strict=True)],
                           textposition="auto", hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title_text="expected approval rate")
    fig.update_yaxes(autorange="reversed")
    layout = {**LAYOUT, "height": max(220, 34 * len(frame) + 80), "hovermode": "closest"}
    fig.update_layout(title="Approval rate by protected group (red: below four-fifths of the best group)",
                      **layout)
    return fig
