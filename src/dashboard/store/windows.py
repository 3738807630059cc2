"""Rollup rows of a date window, read at month grain where the window covers whole months.

A window's whole calendar months come from r_<kind>_month (one row per month and key), its
partial months at either end from those months' day files only (the whole day table is never
loaded for a window). Summed over the window, the result equals the day table's: callers must
aggregate over the window, never group by day.
"""

from __future__ import annotations

import datetime as dt

from dashboard.store.engine import parquet_list
from dashboard.store.layout import MONTH_ROLLUP_KEYS
from dashboard.store.store import Store


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_window(start: dt.date | None, end: dt.date | None
                 ) -> tuple[tuple[dt.date | None, dt.date | None] | None,
                            list[tuple[dt.date | None, dt.date | None]]]:
    """[start, end] (None: open) as whole months [lo, hi) and day ranges [lo, hi) around them.

    Returns (months or None, day ranges); the pieces do not overlap and cover the window.
    """
    lo = None if start is None else (start if start.day == 1 else _next_month(start))
    hi = None if end is None else (_next_month(end) if _next_month(end) - dt.timedelta(days=1) == end
                                   else _month_start(end))
    end_excl = None if end is None else end + dt.timedelta(days=1)
    if lo is not None and hi is not None and lo >= hi:
        return None, [(start, end_excl)]
    days: list[tuple[dt.date | None, dt.date | None]] = []
    if start is not None and lo is not None and start < lo:
        days.append((start, lo))
    if end is not None and hi is not None and hi <= end:
        days.append((hi, end_excl))
    return (lo, hi), days


def _range(table: str, lo: dt.date | None, hi: dt.date | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if lo is not None:
        clauses.append("date >= ?")
        params.append(lo)
    if hi is not None:
        clauses.append("date < ?")
        params.append(hi)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return f"SELECT * FROM {table}{where}", params


def _months_of(lo: dt.date, hi: dt.date) -> list[str]:
    """YYYY-MM of every month with a day in [lo, hi)."""
    out, month = [], lo.replace(day=1)
    while month < hi:
        out.append(f"{month:%Y-%m}")
        month = _next_month(month)
    return out


def window_source(store: Store, kind: str, start: dt.date | None = None,
                  end: dt.date | None = None) -> tuple[str, list[object]]:
    """A parenthesised subquery of r_<kind> rows in [start, end] and its parameters, for FROM."""
    if kind not in MONTH_ROLLUP_KEYS:
        raise ValueError(f"no month table for rollup {kind!r}")
    months, days = split_window(start, end)
    month_table = f"r_{kind}_month"
    parts = [_range(month_table, *months)] if months is not None else []
    for lo, hi in days:  # bounded day ranges: only split_window's ends, inside one or two months
        assert lo is not None and hi is not None
        files = store.rollup_files_of_months(kind, _months_of(lo, hi))
        if files:
            parts.append(_range(f"read_parquet({parquet_list(files)}, union_by_name=true)", lo, hi))
    if not parts:  # no rows: an empty relation with the table's columns
        parts.append((f"SELECT * FROM {month_table} WHERE false", []))
    sql = " UNION ALL BY NAME ".join(f"({q})" for q, _ in parts)
    return f"({sql})", [p for _, params in parts for p in params]
