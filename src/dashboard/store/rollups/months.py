"""Recomputed days put into the rollups' month files (one file per model and month)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.store.catalog import month_of
from dashboard.store.files import remove_file, write_parquet_atomic


def split_by_month(table: pa.Table) -> dict[str, pa.Table]:
    """Rows of a rollup table by the month of their date column (sorted by date: slices)."""
    if table.num_rows == 0:
        return {}
    days = table.column("date").cast(pa.int32()).to_numpy().astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    if np.any(months[1:] < months[:-1]):  # not sorted by date: order it (stable) first
        order = np.argsort(months, kind="stable")
        table, months = table.take(pa.array(order)), months[order]
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    ends = np.append(starts[1:], len(months))
    return {str(months[a]): table.slice(int(a), int(b - a)) for a, b in zip(starts, ends, strict=True)}


def _keep_other_days(path: Path, part: pa.Table | None, month_days: Sequence[str]) -> pa.Table | None:
    """The month file's rows of days not recomputed, with the recomputed rows, sorted by date."""
    old = pq.read_table(path)
    stale = pc.is_in(old.column("date"), pa.array([dt.date.fromisoformat(d) for d in month_days], pa.date32()))
    old = old.filter(pc.invert(stale))
    if not old.num_rows:
        return part
    if part is None or part.num_rows == 0:
        return old
    try:
        merged = pa.concat_tables([old.cast(part.schema), part])
    except (pa.ArrowInvalid, ValueError):  # columns changed (e.g. a new protected attribute)
        merged = pa.concat_tables([old, part], promote_options="permissive")
    return merged.take(pc.sort_indices(merged, sort_keys=[("date", "ascending")]))


def merge_into_months(table: pa.Table | None, days: Sequence[str], path_for: Callable[[str], Path],
                      whole_months: bool = False,
                      on_month: Callable[[str, pa.Table | None], None] | None = None) -> None:
    """Put the recomputed rows of `days` into their month files, keeping the other days' rows.

    Rows stay sorted by date (a stable sort keeps each day's own order), so a file is the same
    whether its days were computed together or one at a time. A month left empty loses its file.
    `on_month(month, rows)` is then given each written month's rows (None for a removed month).
    """
    parts = split_by_month(table) if table is not None else {}
    by_month: dict[str, list[str]] = {}
    for day in days:
        by_month.setdefault(month_of(day), []).append(day)
    for month, month_days in sorted(by_month.items()):
        path, part = path_for(month), parts.get(month)
        if not whole_months and path.exists():
            part = _keep_other_days(path, part, month_days)
        if part is None or part.num_rows == 0:
            remove_file(path)
            part = None
        else:
            write_parquet_atomic(path, part)
        if on_month is not None:
            on_month(month, part)
