"""Figures of the Thresholds page: pure functions of small frames, no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics.fairness import FOUR_FIFTHS
from dashboard.ui.charts import Overlays, figure

LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 300, "hovermode": "x unified",
          "legend": {"orientation": "h", "y": -0.25}}
MARK_STYLE = {"in force": ("#7f7f7f", "dash"), "chosen": ("#1f4e79", "solid"),
              "profit-optimal": ("#2e8b57", "dot")}
COLORS = ("#1f4e79", "#c0392b", "#e08e0b", "#7d3c98", "#16a085", "#7f8c8d")


def _marks(marks: Mapping[str, float | None], overlays: Overlays | None = None) -> Overlays:
    """Vertical lines for the cutoff in force, the chosen one and the profit-optimal one."""
    out = overlays or Overlays()
    merged: dict[float, list[str]] = {}
    for name, x in marks.items():
        if x is not None:
            merged.setdefault(round(float(x), 6), []).append(name)
    for i, (x, names) in enumerate(sorted(merged.items())):
        color, dash = MARK_STYLE.get(names[-1], ("#333333", "dashdot"))
        out.vline(x, {"color": color, "dash": dash, "width": 2}, f"{' = '.join(names)} {x:.3f}",
                  "top right" if i % 2 else "top left", font={"color": color, "size": 10})
    return out


def plotly_threshold_curve(curves: pd.DataFrame, series: Sequence[tuple[str, str]], title: str,
                           marks: Mapping[str, float | None], tickformat: str = ",.0f",
                           x_range: tuple[float, float] = (0.0, 1.0)) -> go.Figure:
    """Lines of `series` (column, label) against the cutoff, with the policy marks."""
    traces = [{"type": "scatter", "x": curves["cutoff"], "y": curves[column], "mode": "lines", "name": label,
               "line": {"color": COLORS[i % len(COLORS)], "width": 2}} for i, (column, label) in enumerate(series)]
    return figure(traces, {"title": {"text": title}, **LAYOUT,
                           "xaxis": {"title": {"text": "cutoff (decline at or above this score)"},
                                     "range": list(x_range)},
                           "yaxis": {"tickformat": tickformat, "rangemode": "tozero"}}, _marks(marks))


def plotly_air_curve(curves: pd.DataFrame, marks: Mapping[str, float | None],
                     x_range: tuple[float, float] = (0.0, 1.0)) -> go.Figure:
    """Lowest adverse impact ratio per protected attribute against the cutoff, with the four-fifths rule marked."""
    traces = [{"type": "scatter", "x": curves["cutoff"], "y": curves[column], "mode": "lines", "name": column,
               "line": {"color": COLORS[i % len(COLORS)], "width": 2}}
              for i, column in enumerate(c for c in curves.columns if c != "cutoff")]
    overlays = Overlays().hline(FOUR_FIFTHS, {"color": "#c0392b", "dash": "dot"}, f"four-fifths rule ({FOUR_FIFTHS:g})",
                                "bottom right")
    return figure(traces, {"title": {"text": "Lowest adverse impact ratio by protected attribute"}, **LAYOUT,
                           "xaxis": {"title": {"text": "cutoff"}, "range": list(x_range)},
                           "yaxis": {"range": [0, 1.05], "tickformat": ".2f"}}, _marks(marks, overlays))


def plotly_group_approval(fairness: pd.DataFrame) -> go.Figure:
    """Approval rate per protected group; groups failing the four-fifths rule in red."""
    frame = fairness.dropna(subset=["approval_rate"])
    labels = frame["attribute"] + ": " + frame["group"].astype(str)
    colors = ["#c0392b" if ok is False else "#1f4e79" for ok in frame["four_fifths_ok"]]
    bar = {"type": "bar", "x": frame["approval_rate"], "y": labels, "orientation": "h", "marker": {"color": colors},
           "text": [f"{r:.1%} (AIR {a:.2f})" if pd.notna(a) else f"{r:.1%} (not in the ratio)" for r, a in
                    zip(frame["approval_rate"], frame["adverse_impact_ratio"], strict=True)],
           "textposition": "auto", "hovertemplate": "%{y}: %{x:.1%}<extra></extra>"}
    return figure([bar], {
        "title": {"text": "Approval rate by protected group (red: below four-fifths of the best group)"},
        **LAYOUT, "height": max(220, 34 * len(frame) + 80), "hovermode": "closest",
        "xaxis": {"tickformat": ".0%", "range": [0, 1], "title": {"text": "expected approval rate"}},
        "yaxis": {"autorange": "reversed"}})
