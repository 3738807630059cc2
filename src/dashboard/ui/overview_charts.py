"""Overview's two trend charts as Vega-Lite specs.

The Overview is the page people land on, often in a browser that has not loaded any chart
library yet. Streamlit's Vega-Lite renderer is a sixth of the size of its Plotly one (0.8 MB
against 4.7 MB of script to load and compile), so the landing page draws with it; the other
pages keep Plotly for its richer interaction.
"""

from __future__ import annotations

from typing import Any

HEIGHT = 320
# Each bar spans its period, from `period` (its first day) to the next period's first day.
PERIOD_UNITS = {"W": "week", "M": "month"}
PERIOD_FORMAT = {"W": "week of %d %b %Y", "M": "%b %Y"}
X_AXIS = {"title": None, "axis": {"format": "%b %Y", "labelOverlap": True}}


def _layer(mark: dict[str, Any], field: str, label: str, axis: dict[str, Any], scale: dict[str, Any] | None = None) -> dict[str, Any]:
    """Bars span their period; a line's points sit in the middle of theirs."""
    if mark["type"] == "bar":
        x = {"x": {"field": "period", "type": "temporal", **X_AXIS}, "x2": {"field": "period_end"},
             "y2": {"datum": 0}}
    else:
        x = {"x": {"field": "period_mid", "type": "temporal", **X_AXIS}}
    y: dict[str, Any] = {"field": field, "type": "quantitative", "title": label, "axis": axis}
    if scale:
        y["scale"] = scale
    # A constant colour per layer puts each in one legend (colours set in `_two_axes`).
    return {"mark": mark, "encoding": {**x, "y": y, "color": {"datum": label, "type": "nominal"}}}


def _two_axes(freq: str, title: str, left: dict[str, Any], right: dict[str, Any],
              tooltip: list[dict[str, Any]], colors: dict[str, str]) -> dict[str, Any]:
    """Bars on one axis and a line on the other over the trend's periods (data passed beside the spec)."""
    unit = PERIOD_UNITS[freq]
    return {
        "title": title, "height": HEIGHT,
        "transform": [{"calculate": f"timeOffset('{unit}', datum.period, 1)", "as": "period_end"},
                      {"calculate": "toDate((time(datum.period) + time(datum.period_end)) / 2)", "as": "period_mid"}],
        "encoding": {"tooltip": [{"field": "period", "type": "temporal", "title": "period",
                                  "format": PERIOD_FORMAT[freq]}, *tooltip]},
        "layer": [left, right],
        "resolve": {"scale": {"y": "independent"}},
        # The legend lists the layers' names in layer order (as drawn); the colours follow it.
        "config": {"range": {"category": [colors[layer["encoding"]["color"]["datum"]] for layer in (left, right)]},
                   "legend": {"orient": "bottom", "title": None}},
    }


def vega_volume_approval(freq: str = "W", title: str = "Applications and approval rate") -> dict[str, Any]:
    """Applications (bars, left) and approval rate (line, right) per period of `compute_trend`."""
    colors = {"applications": "#9bb7d4", "approval rate": "#1f4e79"}
    return _two_axes(
        freq, title,
        _layer({"type": "bar", "stroke": "white", "strokeWidth": 1}, "applications", "applications", {}),
        _layer({"type": "line", "point": True}, "approval_rate", "approval rate",
               {"format": ".0%", "orient": "right"}, {"zero": True}),
        [{"field": "applications", "type": "quantitative", "format": ","},
         {"field": "approval_rate", "type": "quantitative", "title": "approval rate", "format": ".1%"}], colors)


def vega_bad_rate_maturity(freq: str = "M", title: str = "Realized bad rate on matured loans") -> dict[str, Any]:
    """Label maturity (bars, right) and the realized bad rate of approved loans (line, left)."""
    colors = {"label maturity": "#d9d9d9", "bad rate among approved": "#c0392b"}
    return _two_axes(
        freq, title,
        _layer({"type": "bar", "stroke": "white", "strokeWidth": 1}, "label_maturity", "label maturity",
               {"format": ".0%", "orient": "right", "title": "maturity"}, {"domain": [0, 1]}),
        _layer({"type": "line", "point": True}, "realized_bad_rate", "bad rate among approved",
               {"format": ".0%", "orient": "left", "title": "bad rate"}, {"zero": True}),
        [{"field": "realized_bad_rate", "type": "quantitative", "title": "bad rate", "format": ".2%"},
         {"field": "label_maturity", "type": "quantitative", "title": "maturity", "format": ".1%"}], colors)
