"""Windows and periods: the one syntax every page and command reads (pure, standard library only).

    2026-04-01:2026-05-15   the days from the first date to the second, both included
    2026-04                 a calendar month
    2026-Q2                 a calendar quarter
    last-30d                the 30 days ending on the newest day of the model's data
    last-3m                 the 3 calendar months ending with the month of that newest day

The `last-` forms count back from the newest day of data, which the caller passes in.
The CLI imports this module to build its help, so it must stay free of heavy imports.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from dashboard.errors import DashboardError

SYNTAX = "YYYY-MM-DD:YYYY-MM-DD (inclusive), YYYY-MM, YYYY-Qn, last-30d or last-3m"


class PeriodError(DashboardError, ValueError):
    """A window or period that cannot be read; the message says what to write instead."""


@dataclass(frozen=True)
class Period:
    kind: str          # month | quarter | months (last-Nm) | custom
    start: dt.date
    end: dt.date       # inclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_period(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period("month", dt.date(year, month, 1), dt.date(year, month, last), f"{year:04d}-{month:02d}")


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    last = calendar.monthrange(year, first + 2)[1]
    return Period("quarter", dt.date(year, first, 1), dt.date(year, first + 2, last), f"{year:04d}-Q{quarter}")


def custom_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise PeriodError(f"the period ends ({end}) before it starts ({start})")
    return Period("custom", start, end, f"{start}:{end}")


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def months_period(last_year: int, last_month: int, count: int) -> Period:
    """`count` calendar months ending with the given month (one month is a plain month period)."""
    if count == 1:
        return month_period(last_year, last_month)
    first = month_period(*_shift_month(last_year, last_month, -(count - 1)))
    last = month_period(last_year, last_month)
    # The label is the dates, so it reads back with parse_period like every other label.
    return Period("months", first.start, last.end, f"{first.start}:{last.end}")


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq](\d)$")
_RANGE_RE = re.compile(r"^([^:]+):([^:]+)$")
_DOTS_RE = re.compile(r"^(\S+?)\s*\.\.\s*(\S+)$")
_LAST_RE = re.compile(r"^last-(\d+)([dm])$", re.IGNORECASE)


def _date(text: str, whole: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{whole!r}: {text.strip()!r} is not a date; write dates as YYYY-MM-DD") from None


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_period(text: str, newest: dt.date | None = None) -> Period:
    """Read one window in the syntax above; `newest` (the newest day of data) anchors `last-...`."""
    value = (text or "").strip()
    if not value:
        raise PeriodError(f"{value!r} is empty: use {SYNTAX}")
    if m := _MONTH_RE.match(value):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"{text!r}: the month must be 01 to 12")
        return month_period(year, month)
    if m := _QUARTER_RE.match(value):
        quarter = int(m.group(2))
        if not 1 <= quarter <= 4:
            raise PeriodError(f"{text!r}: the quarter must be Q1 to Q4")
        return quarter_period(int(m.group(1)), quarter)
    if m := _RANGE_RE.match(value):
        start, end = _date(m.group(1), text), _date(m.group(2), text)
        if end < start:
            raise PeriodError(f"{text!r}: the window ends ({end}) before it starts ({start})")
        return custom_period(start, end)
    if _is_date(value):
        raise PeriodError(f"{text!r} is one date; a window needs two, as in {value}:{value} for that one day")
    if m := _DOTS_RE.match(value):
        raise PeriodError(f"{text!r}: separate the two dates with a colon, as in {m.group(1)}:{m.group(2)}")
    if m := _LAST_RE.match(value):
        count, unit = int(m.group(1)), m.group(2).lower()
        if count < 1:
            raise PeriodError(f"{text!r}: count at least 1 {'day' if unit == 'd' else 'month'}")
        if newest is None:
            raise PeriodError(f"{text!r} counts back from the newest day of data, which is not known here; "
                              "give the dates instead (YYYY-MM-DD:YYYY-MM-DD)")
        if unit == "d":
            return custom_period(newest - dt.timedelta(days=count - 1), newest)
        return months_period(newest.year, newest.month, count)
    raise PeriodError(f"{text!r} is not a window: use {SYNTAX}")


def previous_period(period: Period) -> Period:
    """The month, quarter or run of months before, or the same number of days just before."""
    if period.kind == "month":
        return month_period(*_shift_month(period.start.year, period.start.month, -1))
    if period.kind == "quarter":
        q = (period.start.month - 1) // 3 + 1
        return quarter_period(period.start.year, q - 1) if q > 1 else quarter_period(period.start.year - 1, 4)
    if period.kind == "months":
        count = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1
        return months_period(*_shift_month(period.start.year, period.start.month, -1), count)
    end = period.start - dt.timedelta(days=1)
    return custom_period(end - dt.timedelta(days=period.days - 1), end)


def months_between(first: dt.date, last: dt.date) -> list[Period]:
    """Calendar months touching [first, last], oldest first."""
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(month_period(year, month))
        year, month = _shift_month(year, month, 1)
    return out


__all__ = ["SYNTAX", "Period", "PeriodError", "custom_period", "month_period", "months_between", "months_period",
           "parse_period", "previous_period", "quarter_period"]
