"""Plotly figure builders: pure functions of data frames, no Streamlit.

Figures are built in one go from plain dicts (traces, layout, shapes): plotly validates every
incremental `update_*`/`add_hline`/`make_subplots` call on its own, and those calls cost more
than the data on a page of a dozen small charts (an `add_hline` alone takes about 6 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 320, "hovermode": "x unified",
          "legend": {"orientation": "h", "y": -0.2}}
# The right-hand axis of a two-axis chart (what make_subplots' secondary_y sets up).
SECONDARY_DOMAIN = [0.0, 0.94]


@dataclass
class Overlays:
    """Reference lines, bands and their labels, added to a figure's layout in one step."""

    shapes: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)

    def hline(self, y: float, line: dict[str, Any], text: str = "", position: str = "top right",
              yref: str = "y") -> Overlays:
        """A horizontal line across the plot at `y`, labelled at `position` ("top left", "bottom right"...)."""
        self.shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": yref, "y0": y, "y1": y,
                            "line": line})
        if text:
            vertical, horizontal = (position.split() + ["right"])[:2]
            self.annotations.append({"xref": "x domain", "x": 0 if horizontal == "left" else 1, "yref": yref,
                                     "y": y, "text": text, "showarrow": False, "xanchor": horizontal,
                                     "yanchor": "top" if vertical == "bottom" else "bottom"})
        return self

    def vline(self, x: Any, line: dict[str, Any], text: str = "", position: str = "top right",
              font: dict[str, Any] | None = None) -> Overlays:
        """A vertical line at `x` over the whole plot height, labelled at its top."""
        self.shapes.append({"type": "line", "yref": "y domain", "y0": 0, "y1": 1, "xref": "x", "x0": x, "x1": x,
                            "line": line})
        if text:
            note: dict[str, Any] = {"xref": "x", "x": x, "yref": "y domain", "y": 1, "text": text,
                                    "showarrow": False, "yanchor": "top",
                                    "xanchor": "right" if position.endswith("left") else "left"}
            if font:
                note["font"] = font
            self.annotations.append(note)
        return self

    def vrect(self, x0: Any, x1: Any, fillcolor: str, opacity: float) -> Overlays:
        self.shapes.append({"type": "rect", "yref": "y domain", "y0": 0, "y1": 1, "xref": "x", "x0": x0, "x1": x1,
                            "fillcolor": fillcolor, "opacity": opacity, "line": {"width": 0}, "layer": "below"})
        return self

    def layout(self) -> dict[str, Any]:
        return {"shapes": self.shapes, "annotations": self.annotations}


def figure(traces: Sequence[Any], layout: dict[str, Any], overlays: Overlays | None = None) -> go.Figure:
    """One validated Figure from trace dicts (or trace objects), a layout dict and overlays."""
    return go.Figure(data=list(traces), layout={**layout, **(overlays.layout() if overlays else {})})


def two_axes(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Layout of a chart with a left (y) and a right (y2) axis over one x axis."""
    return {"xaxis": {"domain": SECONDARY_DOMAIN, "anchor": "y"},
            "yaxis": {"anchor": "x", **left},
            "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right", **right}}


def plotly_volume_approval(trend: pd.DataFrame, title: str = "Applications and approval rate") -> go.Figure:
    return figure([
        {"type": "bar", "x": trend["period"], "y": trend["applications"], "name": "applications",
         "marker": {"color": "#9bb7d4"}, "yaxis": "y"},
        {"type": "scatter", "x": trend["period"], "y": trend["approval_rate"], "name": "approval rate",
         "mode": "lines+markers", "line": {"color": "#1f4e79"}, "yaxis": "y2"},
    ], {"title": {"text": title}, **LAYOUT,
        **two_axes({"title": {"text": "applications"}},
                   {"title": {"text": "approval rate"}, "tickformat": ".0%", "rangemode": "tozero"})})


def plotly_bad_rate_maturity(trend: pd.DataFrame, title: str = "Realized bad rate on matured loans") -> go.Figure:
    return figure([
        {"type": "bar", "x": trend["period"], "y": trend["label_maturity"],
         "name": "label maturity (share with outcome)", "marker": {"color": "#d9d9d9"}, "yaxis": "y2"},
        {"type": "scatter", "x": trend["period"], "y": trend["realized_bad_rate"], "name": "bad rate among approved",
         "mode": "lines+markers", "line": {"color": "#c0392b"}, "yaxis": "y"},
    ], {"title": {"text": title}, **LAYOUT,
        **two_axes({"title": {"text": "bad rate"}, "tickformat": ".0%", "rangemode": "tozero"},
                   {"title": {"text": "maturity"}, "tickformat": ".0%", "range": [0, 1]})})
