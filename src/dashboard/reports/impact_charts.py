"""The Impact page's trend charts: static SVG drawn from the monthly trend frame, pure functions.

SVG, not Plotly: the page shows seven trends, and in a browser that opens the page by its
address, loading Plotly and drawing seven charts took about 0.6 s of its cold view (10M store,
Chromium, A/B). An SVG image costs the browser next to nothing. The printable report draws its
sparklines with the same function (`compact=True`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.analytics.scorecard import FigureSpec, Target, format_value

LINE = "#1f4e79"
TARGET = "#1e7b34"
AT_RISK = "#b42318"
SELECTED = "#f4b400"
INK = "#4b5563"
GRID = "#e5e7eb"


@dataclass(frozen=True)
class Frame:
    """The drawing area inside the SVG: the plot's box in pixels."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    def x(self, pos: float, months: int) -> float:
        return self.left + pos / months * (self.width - self.left - self.right)

    def y(self, value: float, lo: float, hi: float) -> float:
        return self.height - self.bottom - (value - lo) / (hi - lo) * (self.height - self.top - self.bottom)


def compute_ticks(lo: float, hi: float, count: int = 4, min_step: float = 0.0) -> list[float]:
    """Round axis ticks covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, at
    least `min_step` (1 for counts: no half applications)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi - lo <= 1e-6 * max(abs(lo), abs(hi), 1.0):  # flat: a band around the value, or 0 to 1 at zero
        half = abs(hi) * 0.1
        lo, hi = (lo - half, hi + half) if half >= 1e-6 else (lo, lo + 1.0)
    raw = max((hi - lo) / max(count - 1, 1), min_step)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.floor(lo / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(first + len(ticks) * step)
    return [0.0 if abs(t) < step * 1e-9 else t for t in ticks]


def _decimals(values: Sequence[float], step: float) -> int:
    """The fewest decimals (up to 9) that show every value exactly: a step of 2.5 needs one."""
    tolerance = 1e-6 * abs(step) if step else 1e-9
    return next((d for d in range(10) if all(abs(round(v, d) - v) <= tolerance for v in values)), 9)


def format_ticks(ticks: Sequence[float], unit: str, currency: str = "") -> list[str]:
    """Axis labels with one scale for the whole axis (CHF 0, CHF 500M, CHF 1,000M) and as few
    decimals as the ticks need."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    if unit == "share":
        percents = [t * 100 for t in ticks]
        digits = _decimals(percents, step * 100)
        return [f"{p:,.{digits}f}%" for p in percents]
    biggest = max(abs(t) for t in ticks)
    scales = [(d, s) for d, s in ((1e9, "B"), (1e6, "M"), (1e3, "k")) if biggest >= d] \
        if unit in ("money", "hours", "count") else []
    # the largest scale that needs at most two decimals (10,000,005k, not 10.000005B)
    divisor, suffix = next(((d, s) for d, s in scales if _decimals([t / d for t in ticks], step / d) <= 2),
                           (1.0, ""))
    scaled = [t / divisor for t in ticks]
    digits = _decimals(scaled, step / divisor)
    labels = []
    for t in scaled:
        number = f"{abs(t):,.{digits}f}{suffix}" if t else "0"
        sign = "-" if t < 0 else ""
        code = f"{currency} " if currency else ""
        labels.append({"money": f"{sign}{code}{number}", "hours": f"{sign}{number} h",
                       "seconds": f"{sign}{number} s"}.get(unit, f"{sign}{number}"))
    return labels


def _month_position(day: dt.date, first: pd.Timestamp) -> float:
    """Where a day falls on the month axis: month i spans [i, i + 1)."""
    index = int((day.year - first.year) * 12 + day.month - first.month)
    return index + (day.day - 1) / calendar.monthrange(day.year, day.month)[1]


def _every_month(trend: pd.DataFrame, key: str) -> tuple[list[pd.Timestamp], list[float | None]]:
    """The trend's months from its first to its last, with None for a month it lacks (a month
    without decisions has no row): each month keeps its own place on the axis."""
    if trend.empty or key not in trend:
        return [], []
    given = {pd.Timestamp(p).to_period("M"): (float(v) if is_finite_number(v) else None)
             for p, v in zip(trend["period"], trend[key], strict=True)}
    months = pd.period_range(min(given), max(given), freq="M")
    return [m.to_timestamp() for m in months], [given.get(m) for m in months]


def _month_label(period: pd.Timestamp, with_year: bool) -> str:
    return str(period.strftime("%b %y") if with_year else period.strftime("%b"))


def is_finite_number(value: object) -> bool:
    """A drawable number: numpy's too (a count column is int64), not None, NaN or infinity."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _segments(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive drawn points: a month without a value breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def _text(x: float, y: float, body: str, anchor: str = "start", size: int = 11, color: str = INK,
          weight: str = "normal") -> str:
    # a white halo keeps a label readable where the line crosses it
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" text-anchor="{anchor}" '
            f'font-weight="{weight}" stroke="white" stroke-width="3" paint-order="stroke">'
            f'{html.escape(body)}</text>')


def _panel(width: int, height: int) -> str:
    """A white card behind the chart: its dark text stays readable in Streamlit's dark theme."""
    return f'<rect x="0" y="0" width="{width}" height="{height}" rx="6" fill="white"/>'


def _empty_svg(message: str, width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif">{_panel(width, height)}'
            f'{_text(width / 2, height / 2, message, "middle")}</svg>')


def _svg_selected(frame: Frame, selected: tuple[dt.date, dt.date] | None, periods: list[pd.Timestamp],
                  months: int) -> list[str]:
    """The selected period's shaded band."""
    if selected is None or not periods:
        return []
    x0 = max(0.0, _month_position(selected[0], periods[0]))
    x1 = min(float(months), _month_position(selected[1] + dt.timedelta(days=1), periods[0]))
    if x1 <= x0:
        return []
    return [f'<rect x="{frame.x(x0, months):.1f}" y="{frame.top}" width="{frame.x(x1, months) - frame.x(x0, months):.1f}" '
            f'height="{frame.height - frame.top - frame.bottom}" fill="{SELECTED}" fill-opacity="0.18"/>']


def _svg_axes(frame: Frame, ticks: list[float], labels: list[str], periods: list[pd.Timestamp],
              lo: float, hi: float) -> list[str]:
    """Grid lines with their value labels, and the month labels (at most eight)."""
    parts = []
    for t, label in zip(ticks, labels, strict=True):
        y = frame.y(t, lo, hi)
        parts.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID}"/>')
        parts.append(_text(frame.left - 6, y + 4, label, "end"))
    months = len(periods)
    every = max(1, math.ceil(months / 8))
    for i, period in enumerate(periods):
        if i % every == 0:
            with_year = i == 0 or period.month <= every
            parts.append(_text(frame.x(i + 0.5, months), frame.height - 8, _month_label(period, with_year), "middle"))
    return parts


def _svg_targets(frame: Frame, target: Target, lo: float, hi: float) -> list[str]:
    """The target and at-risk lines with their labels, which never overlap: the upper line's above
    it at the right, the lower one's below it, or above it at the left along the plot's bottom."""
    parts = []
    upper = max(target.target, target.at_risk)
    above_taken = False
    for value, color, dash, name in ((target.target, TARGET, "6 4", "target"),
                                     (target.at_risk, AT_RISK, "2 3", "at risk beyond")):
        if not is_finite_number(value):
            continue
        y = frame.y(value, lo, hi)
        parts.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{color}" stroke-width="1.2" stroke-dasharray="{dash}"/>')
        if value == upper and not above_taken:  # equal lines: the second label goes below
            above_taken = True
            parts.append(_text(frame.width - frame.right - 2, y - 3, name, "end", 10, color))
        elif y + 11 <= frame.height - frame.bottom:
            parts.append(_text(frame.width - frame.right - 2, y + 11, name, "end", 10, color))
        else:
            parts.append(_text(frame.left + 2, y - 3, name, "start", 10, color))
    return parts


def _svg_line(frame: Frame, values: list[float | None], lo: float, hi: float, compact: bool) -> list[str]:
    """The monthly values as a line broken where a month has none, with a dot per value."""
    months = len(values)
    points = [None if v is None else (frame.x(i + 0.5, months), frame.y(v, lo, hi)) for i, v in enumerate(values)]
    parts = []
    for run in _segments(points):
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        parts.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="{1.3 if compact else 2}" '
                     f'points="{coords}"/>')
    if not compact:
        parts += [f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="3" fill="{LINE}"/>' for p in points if p is not None]
    return parts


def svg_impact_trend(trend: pd.DataFrame, spec: FigureSpec, monthly_target: Target | None = None,
                     selected: tuple[dt.date, dt.date] | None = None, width: int = 360, height: int = 200,
                     compact: bool = False, currency: str = "") -> str:
    """The figure's value by month as an SVG document: the line, the monthly target and the
    at-risk edge as dashed lines, the selected period shaded. `compact` draws only the line
    (the printable report's sparkline); it returns "" when there are fewer than two values."""
    periods, values = _every_month(trend, spec.key)
    drawn = [v for v in values if v is not None]
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif">')
    if compact:
        if len(drawn) < 2:
            return ""
        lo, hi = min(drawn), max(drawn)
        lo, hi = (lo - 1, hi + 1) if hi == lo else (lo, hi)
        return "".join([head, *_svg_line(Frame(width, height, 0, 0, 2, 2), values, lo, hi, True), "</svg>"])
    if not drawn:
        return _empty_svg(f"{spec.label}: no monthly values yet", width, height)
    guides = [] if monthly_target is None else \
        [v for v in (monthly_target.target, monthly_target.at_risk) if is_finite_number(v)]
    # whole amounts, hours and applications: no axis of half units
    whole = spec.unit in ("money", "hours", "count")
    ticks = compute_ticks(min(drawn + guides), max(drawn + guides), min_step=1.0 if whole else 0.0)
    lo, hi = ticks[0], ticks[-1]
    labels = format_ticks(ticks, spec.unit, currency)
    # room for the longest tick label (about 6.5 px a character at 11 px)
    frame = Frame(width, height, max(30, 10 + round(6.5 * max(map(len, labels)))), 10, 30, 24)
    parts = [head, _panel(width, height), *_svg_selected(frame, selected, periods, len(values)),
             *_svg_axes(frame, ticks, labels, periods, lo, hi),
             _text(4, 16, f"{spec.label} by month", size=13, color="#111827", weight="bold")]
    if monthly_target is not None:
        parts += _svg_targets(frame, monthly_target, lo, hi)
    return "".join([*parts, *_svg_line(frame, values, lo, hi, False), "</svg>"])


def describe_impact_trend(trend: pd.DataFrame, spec: FigureSpec, monthly_target: Target | None = None,
                          currency: str = "") -> str:
    """The chart in words (its image's alt text): span, latest month's value, target."""
    if trend.empty or spec.key not in trend:
        return f"{spec.label} by month: no values yet"
    known = trend[["label", spec.key]].dropna()
    if known.empty:
        return f"{spec.label} by month: no values yet"
    last = known.iloc[-1]
    text = (f"{spec.label} by month, {trend['label'].iloc[0]} to {trend['label'].iloc[-1]}; "
            f"{last['label']}: {format_value(float(last[spec.key]), spec.unit, currency)}")
    if monthly_target is not None:
        text += f"; monthly target {format_value(monthly_target.target, spec.unit, currency)}"
    return text
