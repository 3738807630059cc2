"""Axes of the server-drawn charts (`svg_figure`): kinds, ranges, ticks, number formats, colour scales."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.reports.impact_charts import compute_ticks, format_ticks, is_finite_number


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def values_of(seq: Any) -> list[Any]:
    """A trace's array as a list; datetimes stay datetimes (numpy's tolist turns them into integers)."""
    if seq is None:
        return []
    if isinstance(seq, (str, bytes)):
        return [seq]
    if getattr(getattr(seq, "dtype", None), "kind", "") == "M":
        return list(pd.to_datetime(seq))
    return list(seq.tolist() if hasattr(seq, "tolist") else seq)


def is_date(v: Any) -> bool:
    return isinstance(v, (dt.date, np.datetime64, pd.Timestamp))


# ---------------------------------------------------------------- axes
@dataclass
class Axis:
    """One axis: its kind (number, date, category), range, ticks and labels."""

    kind: str
    lo: float
    hi: float
    categories: list[str]
    fmt: str = ""
    reversed: bool = False

    def position(self, value: Any) -> float | None:
        """The value on this axis's numeric scale (dates in days, categories by index), None if not drawable."""
        if value is None:
            return None
        if self.kind == "category":
            key = str(value)
            return float(self.categories.index(key)) if key in self.categories else None
        if self.kind == "date":
            return to_days(value)
        return float(value) if is_finite_number(value) else None

    def ticks(self) -> list[tuple[float, str]]:
        if self.kind == "category":
            return [(float(i), c) for i, c in enumerate(self.categories)]
        if self.kind == "date":
            return compute_date_ticks(self.lo, self.hi)
        values = [t for t in compute_ticks(self.lo, self.hi, 5) if self.lo - 1e-12 <= t <= self.hi + 1e-12]
        return list(zip(values, format_number_ticks(values, self.fmt), strict=True))


def to_days(value: Any) -> float | None:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return float(ts.value) / 1e9 / 86_400


def compute_date_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    start, end = pd.Timestamp(lo * 86_400, unit="s"), pd.Timestamp(hi * 86_400, unit="s")
    span = hi - lo
    if span > 75:
        months = pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS")
        step = max(1, math.ceil(len(months) / 7))
        chosen = [m for m in months if m >= start][::step]
        with_year = len({m.year for m in chosen}) > 1 or span > 330
        return [(float(m.value) / 1e9 / 86_400, m.strftime("%b %Y" if with_year else "%b")) for m in chosen]
    days = pd.date_range(start.normalize(), end, freq="D")
    step = max(1, math.ceil(len(days) / 7))
    return [(float(d.value) / 1e9 / 86_400, d.strftime("%d %b")) for d in days if d >= start][::step]


FORMAT = re.compile(r"^(,)?(?:\.(\d+))?([%fs])?$")


def format_number(value: float, fmt: str) -> str:
    """A number in a d3 format of the kind our figures use (".0%", ".2f", ",.0f"), or plainly."""
    m = FORMAT.match(fmt or "")
    if not fmt or m is None or (m.group(2) is None and m.group(3) is None and not m.group(1)):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"  # a format we do not know: plainly
    comma, digits, kind = m.group(1) or "", int(m.group(2) or 0), m.group(3) or "f"
    if kind == "s":  # SI prefix with `digits` significant digits: 1.50M, 250k
        scale, suffix = next(((d, p) for d, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")) if abs(value) >= d), (1.0, ""))
        return f"{value / scale:.{max(digits, 1)}g}{suffix}"
    if kind == "%":
        return f"{value * 100:{comma}.{digits}f}%"
    return f"{value:{comma}.{digits}f}"


def format_number_ticks(ticks: Sequence[float], fmt: str) -> list[str]:
    """Tick labels: the axis's own format if it names one, else as few decimals as the ticks need."""
    if not ticks:
        return []
    if fmt and not fmt.endswith("s"):
        return [format_number(t, fmt) for t in ticks]
    return format_ticks(list(ticks), "count")  # one scale for the axis: 0, 500k, 1,000k


def compute_numeric_range(values: list[float], layout_axis: dict[str, Any], pad: float, zero: bool) -> tuple[float, float]:
    given = layout_axis.get("range")
    if given is not None and len(given) == 2 and all(is_finite_number(v) for v in given):
        return float(given[0]), float(given[1])
    finite = [v for v in values if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if layout_axis.get("rangemode") == "tozero":
        zero = True
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo <= 1e-12:
        half = abs(hi) * 0.1 or 0.5
        lo, hi = lo - half, hi + half
    span = hi - lo
    return (lo if lo == 0.0 and zero else lo - pad * span), hi + pad * span



def parse_rgb(color: str) -> tuple[float, float, float]:
    if color.startswith("#") and len(color) == 7:
        return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
    parts = [float(p) for p in re.findall(r"[\d.]+", color)[:3]]
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (128.0, 128.0, 128.0)


def scale_color(scale: Sequence[Sequence[Any]], share: float) -> str:
    """The colour at `share` (0 to 1) of a Plotly colour scale ([[position, colour], ...]), interpolated."""
    share = min(max(share, 0.0), 1.0)
    stops = [(float(pos), parse_rgb(str(color))) for pos, color in scale]
    for (p0, c0), (p1, c1) in zip(stops, stops[1:], strict=False):
        if share <= p1:
            k = 0.0 if p1 == p0 else (share - p0) / (p1 - p0)
            return "#" + "".join(f"{round(a + (b - a) * k):02x}" for a, b in zip(c0, c1, strict=True))
    return "#" + "".join(f"{round(c):02x}" for c in stops[-1][1])
