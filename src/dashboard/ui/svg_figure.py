"""Our Plotly figures drawn as static SVG on the server: pure functions, no Streamlit.

# size: one renderer (a subset of Plotly) whose drawing methods share the plot frame's mapping.

Why not Plotly in the browser: on the 10M store in Chromium, the Plotly charts of Performance,
Thresholds and Challengers cost 0.5 to 0.9 s of each page's view (same pages with the charts
left out, A/B; Vega-Lite was no cheaper), more than the server's work for the page. An inline
SVG costs the browser next to nothing. The chart builders stay Plotly (their tests, the
interactive view a user can switch on); this draws the subset of Plotly they use: scatter
(lines, markers, text, error bars), bar (vertical, horizontal, grouped, overlaid), heatmap,
a right-hand axis, shapes, annotations, titles and a legend. A figure using anything else gets
None, and the caller shows it with Plotly. Each point carries a <title> with its values (shown on
hover where the SVG is inline, e.g. opened on its own).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from dashboard.reports.impact_charts import is_finite_number
from dashboard.ui.svg_axes import (
    Axis,
    compute_numeric_range,
    escape,
    format_number,
    is_date,
    scale_color,
    to_days,
    values_of,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

WIDTH = 560  # drawn for a half-width column; a full-width chart is drawn wider (figure_view)
TICK = 12    # font sizes in the drawing's pixels: about 9 to 12 px once scaled into the page
TITLE = 15
FONT = "font-family=\"sans-serif\""
INK = "#31333f"
MUTED = "#6b7280"
GRID = "#e5e7eb"
# Plotly's default colour sequence, for traces that name no colour.
COLORWAY = ("#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880")
DASHES = {"dash": "7,4", "dot": "2,3", "dashdot": "7,3,2,3", "longdash": "12,4"}
SUPPORTED = {"scatter", "bar", "heatmap"}
# What this draws (or may ignore without misdrawing); a trace or layout with another key goes to Plotly.
TRACE_KEYS = {"type", "x", "y", "z", "name", "mode", "line", "marker", "yaxis", "xaxis", "opacity", "text",
              "textposition", "texttemplate", "hovertemplate", "customdata", "error_x", "error_y", "orientation",
              "width", "offset", "showlegend", "colorscale", "showscale", "zmin", "zmax", "visible", "hoverinfo",
              "legendgroup", "uid"}
LAYOUT_KEYS = {"title", "xaxis", "yaxis", "yaxis2", "height", "margin", "hovermode", "legend", "showlegend",
               "barmode", "shapes", "annotations", "template", "width", "bargap"}


# ---------------------------------------------------------------- the figure
def svg_from_figure(fig: go.Figure, width: int = WIDTH) -> str | None:
    """The figure as an SVG string, or None when it uses a trace type this does not draw."""
    spec = fig.to_plotly_json()
    traces: list[dict[str, Any]] = spec.get("data", [])
    layout: dict[str, Any] = spec.get("layout", {})
    if any(t.get("type", "scatter") not in SUPPORTED or set(t) - TRACE_KEYS or t.get("xaxis", "x") != "x"
           or not (t.get("width") is None or is_finite_number(t.get("width"))) for t in traces) or set(layout) - LAYOUT_KEYS:
        return None
    return _Drawing(traces, layout, width).svg()


class _Drawing:
    def __init__(self, traces: list[dict[str, Any]], layout: dict[str, Any], width: int) -> None:
        self.traces = [t for t in traces if t.get("visible", True) is not False]
        self.layout = layout
        self.width = width
        self.height = int(layout.get("height") or 320)
        self.parts: list[str] = []
        self.points = 0
        xa, ya, ya2 = (layout.get(k) or {} for k in ("xaxis", "yaxis", "yaxis2"))
        self.has_y2 = any(t.get("yaxis") == "y2" for t in self.traces)
        self.x = self._axis("x", xa, [t for t in self.traces], self._shape_values("x"))
        self.y = self._axis("y", ya, [t for t in self.traces if t.get("yaxis", "y") != "y2"], self._shape_values("y"))
        self.y2 = (self._axis("y", ya2, [t for t in self.traces if t.get("yaxis") == "y2"], self._shape_values("y2"))
                   if self.has_y2 else None)
        self.legend = self._legend_entries()
        self._frame()

    # -- axes from the data
    def _shape_values(self, ref: str) -> list[Any]:
        """Coordinates of shapes drawn in this axis's data units: Plotly's autorange includes them
        (a zero line or an alert threshold stays on the plot)."""
        letter = ref[0]
        return [shape.get(f"{letter}{end}") for shape in self.layout.get("shapes") or []
                if shape.get(f"{letter}ref", letter) == ref for end in (0, 1)]

    def _axis(self, letter: str, layout_axis: dict[str, Any], traces: list[dict[str, Any]],
              extra: list[Any]) -> Axis:
        raw: list[Any] = []
        zero = False
        pads: list[float] = []
        for t in traces:
            horizontal = t.get("orientation") == "h"
            if t.get("type") == "heatmap":
                raw += values_of(t.get(letter))
                continue
            vals = values_of(t.get(letter))
            raw += vals
            value_axis = "x" if horizontal else "y"
            if t.get("type") == "bar" and letter == value_axis:
                zero = True
            err = t.get(f"error_{letter}") or {}
            if err.get("array") is not None and vals:
                plus = values_of(err.get("array"))
                minus = values_of(err.get("arrayminus")) if err.get("symmetric") is False else plus
                for v, p, m in zip(vals, plus, minus or plus, strict=False):
                    if is_finite_number(v):
                        raw += [float(v) + float(p or 0), float(v) - float(m or 0)]
            if t.get("type") == "bar" and letter != value_axis and is_finite_number(t.get("width")) and vals:
                pads.append(float(t["width"]))
        kind = self._kind(layout_axis, raw)
        if kind != "category":
            raw += [v for v in extra if v is not None]
        if kind == "category":
            cats = list(dict.fromkeys(str(v) for v in raw if v is not None))
            reversed_ = layout_axis.get("autorange") == "reversed"
            return Axis("category", -0.5, len(cats) - 0.5, cats, reversed=reversed_)
        if kind == "date":
            days = sorted({d for d in (to_days(v) for v in raw) if d is not None})
            if not days:
                return Axis("number", 0.0, 1.0, [])
            step = min((b - a for a, b in zip(days, days[1:], strict=False)), default=30.0)
            bars = any(t.get("type") == "bar" for t in traces)
            half = step * 0.5 if bars else step * 0.15
            return Axis("date", days[0] - half, days[-1] + half, [], fmt=layout_axis.get("tickformat", ""))
        nums = [float(v) for v in raw if is_finite_number(v)]
        if pads and nums:
            nums += [min(nums) - max(pads), max(nums) + max(pads)]
        has_markers = any("markers" in str(t.get("mode", "")) for t in traces)
        lo, hi = compute_numeric_range(nums, layout_axis, 0.06 if has_markers else 0.02, zero)
        return Axis("number", lo, hi, [], fmt=layout_axis.get("tickformat", ""),
                    reversed=layout_axis.get("autorange") == "reversed")

    @staticmethod
    def _kind(layout_axis: dict[str, Any], raw: list[Any]) -> str:
        if layout_axis.get("type") == "category" or any(isinstance(v, str) for v in raw):
            return "category"
        if any(is_date(v) for v in raw):
            return "date"
        return "number"

    def _legend_entries(self) -> list[tuple[str, str, str]]:
        if self.layout.get("showlegend") is False:
            return []
        named = [(i, t) for i, t in enumerate(self.traces) if t.get("name")
                 and t.get("showlegend", True) is not False and t.get("type") != "heatmap"]
        if len(named) < 2 and self.layout.get("showlegend") is not True:
            return []
        return [(str(t["name"]), self._color(t, i), self._legend_kind(t)) for i, t in named]

    @staticmethod
    def _legend_kind(t: dict[str, Any]) -> str:
        if t.get("type") == "bar":
            return "bar"
        mode = str(t.get("mode") or "lines")
        return "markers" if "markers" in mode and "lines" not in mode else "line"

    def _frame(self) -> None:
        label_chars = max((len(label) for _, label in self.y.ticks()), default=4)
        self.left = 16 + min(int(label_chars * TICK * 0.58), 200) + (16 if self._title_of(self.layout.get("yaxis")) else 0)
        self.right = 16 + (60 if self.y2 is not None else 0)
        self.top = 34 if self._title_of(self.layout.get("title")) else 12
        rows = self._legend_rows()
        self.bottom = 24 + (16 if self._title_of(self.layout.get("xaxis")) else 0) + 18 * len(rows)
        self.legend_rows = rows

    def _legend_rows(self) -> list[list[tuple[str, str, str]]]:
        rows: list[list[tuple[str, str, str]]] = []
        used = self.width
        for entry in self.legend:
            need = 30 + int(len(entry[0]) * TICK * 0.56)
            if not rows or used + need > self.width - 20:
                rows.append([])
                used = 10
            rows[-1].append(entry)
            used += need
        return rows

    @staticmethod
    def _title_of(obj: Any) -> str:
        if isinstance(obj, dict):
            title = obj.get("title", obj.get("text"))
            if isinstance(title, dict):
                return str(title.get("text") or "")
            return str(title or "") if "title" in obj else str(obj.get("text") or "")
        return str(obj or "")

    # -- mapping
    def px(self, axis: Axis, pos: float) -> float:
        span = axis.hi - axis.lo or 1.0
        share = (pos - axis.lo) / span
        if axis is self.x:
            return self.left + share * (self.width - self.left - self.right)
        if axis.kind == "category":  # a category axis runs bottom-up unless reversed, as in Plotly
            share = 1 - share if axis.reversed else share
        elif axis.reversed:
            share = 1 - share
        return self.height - self.bottom - share * (self.height - self.top - self.bottom)

    def _ref(self, ref: str, value: Any, vertical: bool) -> float | None:
        """Pixel of a shape's or annotation's coordinate in its reference ("x", "y domain", "paper"...)."""
        if ref.endswith("domain") or ref == "paper":
            share = float(value)
            if vertical:
                return self.height - self.bottom - share * (self.height - self.top - self.bottom)
            return self.left + share * (self.width - self.left - self.right)
        axis = (self.y2 if ref.startswith("y2") else self.y) if vertical else self.x
        if axis is None:
            return None
        pos = axis.position(value)
        return None if pos is None else self.px(axis, pos)

    @staticmethod
    def _color(trace: dict[str, Any], index: int) -> str:
        line = trace.get("line") or {}
        marker = trace.get("marker") or {}
        color = line.get("color") or marker.get("color")
        if isinstance(color, str):
            return color
        return COLORWAY[index % len(COLORWAY)]

    # -- drawing
    def svg(self) -> str:
        w, h = self.width, self.height
        self.parts.append(f'<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>')
        self._grid_and_axes()
        bar_traces = [t for t in self.traces if t.get("type") == "bar"]
        grouped = [t for t in bar_traces if t.get("width") is None]
        overlay = self.layout.get("barmode") in ("overlay", "stack", "relative")
        # Traces and shapes are clipped to the plot, as Plotly does (a zoomed axis range, a curve
        # over the whole score range).
        pw, ph = self.width - self.left - self.right, self.height - self.top - self.bottom
        self.parts.append(f'<clipPath id="plot"><rect x="{self.left}" y="{self.top - 2}" width="{pw}" '
                          f'height="{ph + 4}"/></clipPath><g clip-path="url(#plot)">')
        for i, t in enumerate(self.traces):
            kind = t.get("type", "scatter")
            if kind == "bar":
                slot = (grouped.index(t), len(grouped)) if t in grouped and not overlay else (0, 1)
                self._bar(t, i, slot)
            elif kind == "heatmap":
                self._heatmap(t)
            else:
                self._scatter(t, i)
        self._shapes()
        self.parts.append("</g>")
        self._annotations()
        self._titles()
        self._legend()
        if self.points == 0:
            self.parts.append(self._text(w / 2, h / 2, "No data to draw", "middle", 13, MUTED))
        title = escape(self._title_of(self.layout.get("title")) or "chart")
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
                f'role="img" aria-label="{title}" data-points="{self.points}" {FONT}>'
                + "".join(self.parts) + "</svg>")

    def _text(self, x: float, y: float, body: str, anchor: str = "start", size: int = 11, color: str = INK,
              extra: str = "") -> str:
        return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" text-anchor="{anchor}"{extra}>'
                f"{escape(body)}</text>")

    def _grid_and_axes(self) -> None:
        left, right, top, bottom = self.left, self.width - self.right, self.top, self.height - self.bottom
        for pos, label in self.y.ticks():
            y = self.px(self.y, pos)
            if self.y.kind != "category":
                self.parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
            self.parts.append(self._text(left - 6, y + 4, label, "end", TICK, MUTED))
        if self.y2 is not None:
            for pos, label in self.y2.ticks():
                y = self.px(self.y2, pos)
                self.parts.append(self._text(right + 6, y + 4, label, "start", TICK, MUTED))
        ticks = self.x.ticks()
        if self.x.kind == "category" and ticks:  # label every k-th category when they would overlap
            room = (right - left) / len(ticks)
            longest = max(min(len(label), 28) for _, label in ticks) * TICK * 0.56 + 6
            ticks = ticks[::max(1, math.ceil(longest / max(room, 1.0)))]
        for pos, label in ticks:
            x = self.px(self.x, pos)
            if self.x.kind == "number":
                self.parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="{GRID}"/>')
            short = label if len(label) <= 28 else label[:27] + "…"
            self.parts.append(self._text(x, bottom + 15, short, "middle", TICK, MUTED))
        self.parts.append(f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#9ca3af"/>')

    def _titles(self) -> None:
        title = self._title_of(self.layout.get("title"))
        if title:
            size = max(10, min(TITLE, int((self.width - 16) / (0.56 * len(title)))))  # a long title still fits
            self.parts.append(self._text(8, 20, title, "start", size, INK, ' font-weight="600"'))
        xt = self._title_of(self.layout.get("xaxis"))
        plot_mid = (self.left + self.width - self.right) / 2
        if xt:
            self.parts.append(self._text(plot_mid, self.height - self.bottom + 32, xt, "middle", TICK, INK))
        yt = self._title_of(self.layout.get("yaxis"))
        mid = (self.top + self.height - self.bottom) / 2
        if yt:
            self.parts.append(self._text(12, mid, yt, "middle", TICK, INK, f' transform="rotate(-90 12 {mid:.1f})"'))
        y2t = self._title_of(self.layout.get("yaxis2")) if self.y2 is not None else ""
        if y2t:
            x = self.width - 8
            self.parts.append(self._text(x, mid, y2t, "middle", TICK, INK, f' transform="rotate(90 {x} {mid:.1f})"'))

    def _legend(self) -> None:
        y = self.height - 18 * len(self.legend_rows) + 4
        for row in self.legend_rows:
            x = 10.0
            for name, color, kind in row:
                if kind == "bar":
                    self.parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="18" height="10" fill="{color}"/>')
                elif kind == "markers":
                    self.parts.append(self._marker((x + 9, y - 4), 8, "circle", color))
                else:
                    self.parts.append(f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
                                      f'stroke="{color}" stroke-width="2"/>')
                self.parts.append(self._text(x + 24, y, name, "start", TICK, INK))
                x += 30 + len(name) * TICK * 0.56
            y += 18

    def _point_title(self, name: str, x: Any, y: Any, axis_y: Axis) -> str:
        def show(v: Any, axis: Axis) -> str:
            if axis.kind == "date":
                days = to_days(v)
                return "" if days is None else pd.Timestamp(days * 86_400, unit="s").strftime("%Y-%m-%d")
            if is_finite_number(v):
                return format_number(float(v), axis.fmt) if axis.fmt else f"{float(v):,.4g}"
            return str(v)
        return escape(f"{name + ': ' if name else ''}{show(x, self.x)}, {show(y, axis_y)}")

    def _scatter(self, t: dict[str, Any], index: int) -> None:
        axis_y = self.y2 if t.get("yaxis") == "y2" and self.y2 is not None else self.y
        xs, ys = values_of(t.get("x")), values_of(t.get("y"))
        mode = str(t.get("mode") or ("lines+markers" if len(xs) < 20 else "lines"))
        color = self._color(t, index)
        line = t.get("line") or {}
        marker = t.get("marker") or {}
        name = str(t.get("name") or "")
        points: list[tuple[float, float] | None] = []
        for xv, yv in zip(xs, ys, strict=False):
            px_, py_ = self.x.position(xv), axis_y.position(yv)
            points.append(None if px_ is None or py_ is None else (self.px(self.x, px_), self.px(axis_y, py_)))
        drawn = [p for p in points if p is not None]
        self.points += len(drawn)
        if "lines" in mode:
            dash = DASHES.get(str(line.get("dash") or ""), "")
            width = float(line.get("width") or 2)
            run: list[tuple[float, float]] = []
            for p in [*points, None]:
                if p is None:
                    if len(run) > 1:
                        coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
                        self.parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" '
                                          f'stroke-width="{width:g}"' + (f' stroke-dasharray="{dash}"' if dash else "")
                                          + "/>")
                    run = []
                else:
                    run.append(p)
        self._error_bars(t, xs, ys, axis_y, color)
        if "markers" in mode or "text" in mode:
            size = float(marker.get("size") or 6)
            symbol = str(marker.get("symbol") or "circle")
            texts = values_of(t.get("text")) if "text" in mode else []
            for k, (p, xv, yv) in enumerate(zip(points, xs, ys, strict=False)):
                if p is None:
                    continue
                tip = f"<title>{self._point_title(name, xv, yv, axis_y)}</title>"
                if "markers" in mode:
                    self.parts.append(f"<g>{tip}{self._marker(p, size, symbol, color)}</g>")
                if k < len(texts) and texts[k] is not None:
                    self.parts.append(self._text(p[0], p[1] - size / 2 - 4, str(texts[k]), "middle", TICK, INK))

    @staticmethod
    def _marker(p: tuple[float, float], size: float, symbol: str, color: str) -> str:
        r = size / 2
        fill = "white" if symbol.endswith("-open") else color
        base = symbol.removesuffix("-open")
        style = f'fill="{fill}" stroke="{color}" stroke-width="1.5"'
        if base == "square":
            return f'<rect x="{p[0] - r:.1f}" y="{p[1] - r:.1f}" width="{size:.1f}" height="{size:.1f}" {style}/>'
        if base in ("x", "cross"):
            return (f'<path d="M{p[0] - r:.1f},{p[1] - r:.1f}L{p[0] + r:.1f},{p[1] + r:.1f}M{p[0] - r:.1f},{p[1] + r:.1f}'
                    f'L{p[0] + r:.1f},{p[1] - r:.1f}" stroke="{color}" stroke-width="2.5"/>')
        if base == "diamond":
            pts = f"{p[0]:.1f},{p[1] - r:.1f} {p[0] + r:.1f},{p[1]:.1f} {p[0]:.1f},{p[1] + r:.1f} {p[0] - r:.1f},{p[1]:.1f}"
            return f'<polygon points="{pts}" {style}/>'
        return f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="{r:.1f}" {style}/>'

    def _error_bars(self, t: dict[str, Any], xs: list[Any], ys: list[Any], axis_y: Axis, color: str) -> None:
        for letter in ("x", "y"):
            err = t.get(f"error_{letter}") or {}
            if err.get("array") is None or err.get("visible") is False:
                continue
            plus = values_of(err.get("array"))
            minus = values_of(err.get("arrayminus")) if err.get("symmetric") is False else plus
            for xv, yv, p, m in zip(xs, ys, plus, minus or plus, strict=False):
                if not (is_finite_number(p) and is_finite_number(m)):
                    continue
                if letter == "y":
                    x0 = self.x.position(xv)
                    if x0 is None or not is_finite_number(yv):
                        continue
                    x = self.px(self.x, x0)
                    a, b = self.px(axis_y, float(yv) - float(m)), self.px(axis_y, float(yv) + float(p))
                    self.parts.append(f'<path d="M{x:.1f},{a:.1f}V{b:.1f}M{x - 4:.1f},{a:.1f}H{x + 4:.1f}'
                                      f'M{x - 4:.1f},{b:.1f}H{x + 4:.1f}" stroke="{color}" stroke-width="1.5"/>')
                else:
                    y0 = axis_y.position(yv)
                    if y0 is None or not is_finite_number(xv):
                        continue
                    y = self.px(axis_y, y0)
                    a, b = self.px(self.x, float(xv) - float(m)), self.px(self.x, float(xv) + float(p))
                    self.parts.append(f'<path d="M{a:.1f},{y:.1f}H{b:.1f}M{a:.1f},{y - 4:.1f}V{y + 4:.1f}'
                                      f'M{b:.1f},{y - 4:.1f}V{y + 4:.1f}" stroke="{color}" stroke-width="1.5"/>')

    def _bar(self, t: dict[str, Any], index: int, slot: tuple[int, int]) -> None:
        horizontal = t.get("orientation") == "h"
        axis_v = self.x if horizontal else (self.y2 if t.get("yaxis") == "y2" and self.y2 is not None else self.y)
        axis_c = self.y if horizontal else self.x
        cats, vals = (values_of(t.get("y")), values_of(t.get("x"))) if horizontal else (values_of(t.get("x")),
                                                                                     values_of(t.get("y")))
        marker = t.get("marker") or {}
        colors = values_of(marker.get("color")) if not isinstance(marker.get("color"), str) else []
        color = self._color(t, index)
        opacity = float(t["opacity"]) if is_finite_number(t.get("opacity")) else 1.0
        texts = values_of(t.get("text"))
        positions = sorted({p for p in (axis_c.position(c) for c in cats) if p is not None})
        step = min((b - a for a, b in zip(positions, positions[1:], strict=False)), default=1.0)
        if axis_c.kind == "date" and len(positions) < 2:
            step = 30.0
        if is_finite_number(t.get("width")):  # Plotly centres a bar on x unless it is given an offset
            width = float(t["width"])
            start = float(t["offset"]) if is_finite_number(t.get("offset")) else -width / 2
        else:
            width = step * 0.8 / slot[1]
            start = -step * 0.4 + slot[0] * width
        name = str(t.get("name") or "")
        base = axis_v.position(0.0)
        for k, (c, v) in enumerate(zip(cats, vals, strict=False)):
            pos = axis_c.position(c)
            if pos is None or not is_finite_number(v) or base is None:
                continue
            self.points += 1
            fill = colors[k] if k < len(colors) and isinstance(colors[k], str) else color
            a, b = self.px(axis_c, pos + start), self.px(axis_c, pos + start + width)
            v0, v1 = self.px(axis_v, base), self.px(axis_v, float(v))
            tip = (f"<title>{self._point_title(name, v, c, self.y) if horizontal else self._point_title(name, c, v, axis_v)}"
                   "</title>")
            if horizontal:
                x0, x1, y0, y1 = min(v0, v1), max(v0, v1), min(a, b), max(a, b)
            else:
                x0, x1, y0, y1 = min(a, b), max(a, b), min(v0, v1), max(v0, v1)
            self.parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 0.5):.1f}" '
                              f'height="{max(y1 - y0, 0.5):.1f}" fill="{fill}" fill-opacity="{opacity:g}">{tip}</rect>')
            if k < len(texts) and texts[k] is not None and horizontal:
                inside = x1 - x0 > 7 * len(str(texts[k]))
                tx = x1 - 4 if inside else x1 + 4
                self.parts.append(self._text(tx, (y0 + y1) / 2 + 4, str(texts[k]), "end" if inside else "start", 11,
                                             "white" if inside else INK))

    def _heatmap(self, t: dict[str, Any]) -> None:
        z = [[float(v) if is_finite_number(v) else math.nan for v in values_of(row)] for row in values_of(t.get("z"))]
        text = [values_of(row) for row in values_of(t.get("text"))]
        xs, ys = values_of(t.get("x")), values_of(t.get("y"))
        flat = [v for row in z for v in row if math.isfinite(v)]
        lo, hi = (min(flat), max(flat)) if flat else (0.0, 1.0)
        lo = float(t["zmin"]) if is_finite_number(t.get("zmin")) else lo
        hi = float(t["zmax"]) if is_finite_number(t.get("zmax")) else hi
        scale = t.get("colorscale") or [[0.0, "rgb(247,251,255)"], [1.0, "rgb(8,48,107)"]]
        for i, row in enumerate(z):
            for j, v in enumerate(row):
                if j >= len(xs) or i >= len(ys) or not math.isfinite(v):
                    continue
                px_, py_ = self.x.position(xs[j]), self.y.position(ys[i])
                if px_ is None or py_ is None:
                    continue
                self.points += 1
                share = 0.0 if hi == lo else (v - lo) / (hi - lo)
                fill = scale_color(scale, share)
                x0, x1 = sorted((self.px(self.x, px_ - 0.5), self.px(self.x, px_ + 0.5)))
                y0, y1 = sorted((self.px(self.y, py_ - 0.5), self.px(self.y, py_ + 0.5)))
                label = str(text[i][j]) if i < len(text) and j < len(text[i]) else f"{v:,.4g}"
                self.parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
                                  f'fill="{fill}" stroke="white"><title>{escape(f"{ys[i]}, {xs[j]}: {label}")}</title></rect>')
                if text:  # Plotly writes a cell's text only when the trace gives one
                    self.parts.append(self._text((x0 + x1) / 2, (y0 + y1) / 2 + 5, label, "middle", 14,
                                                 "white" if share > 0.55 else INK))

    def _shapes(self) -> None:
        for s in self.layout.get("shapes") or []:
            x0, x1 = self._ref(s.get("xref", "x"), s.get("x0"), False), self._ref(s.get("xref", "x"), s.get("x1"), False)
            y0, y1 = self._ref(s.get("yref", "y"), s.get("y0"), True), self._ref(s.get("yref", "y"), s.get("y1"), True)
            if None in (x0, x1, y0, y1):
                continue
            assert x0 is not None and x1 is not None and y0 is not None and y1 is not None
            line = s.get("line") or {}
            color = line.get("color") or "#444"
            dash = DASHES.get(str(line.get("dash") or ""), "")
            if s.get("type") == "rect":
                self.parts.append(f'<rect x="{min(x0, x1):.1f}" y="{min(y0, y1):.1f}" width="{abs(x1 - x0):.1f}" '
                                  f'height="{abs(y1 - y0):.1f}" fill="{s.get("fillcolor") or color}" '
                                  f'fill-opacity="{float(s.get("opacity") or 0.2):g}"/>')
            else:
                self.parts.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" stroke="{color}" '
                                  f'stroke-width="{float(line.get("width") or 1.5):g}"'
                                  + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")

    def _annotations(self) -> None:
        for a in self.layout.get("annotations") or []:
            x = self._ref(a.get("xref", "x"), a.get("x", 0), False)
            y = self._ref(a.get("yref", "y"), a.get("y", 0), True)
            if x is None or y is None:
                continue
            if not (self.left - 1 <= x <= self.width - self.right + 1):  # its line is off a zoomed axis
                continue
            anchor = {"left": "start", "right": "end"}.get(str(a.get("xanchor") or "center"), "middle")
            dy = {"top": 12, "bottom": -4}.get(str(a.get("yanchor") or "middle"), 4)
            font = a.get("font") or {}
            self.parts.append(self._text(x + (3 if anchor == "start" else -3 if anchor == "end" else 0), y + dy,
                                         re.sub(r"<[^>]+>", " ", str(a.get("text") or "")), anchor,
                                         int(font.get("size") or 11), str(font.get("color") or MUTED),
                                         ' paint-order="stroke" stroke="white" stroke-width="3"'))
