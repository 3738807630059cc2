"""Named reads and writes of a retraining: the matured loans of a window with their features, the
applications a new model is backfilled on, and which shadow scores are backfilled.

Only the window's prediction files are read (the catalog prunes by date partition), and only
the outcome files dated from the window's first day on (an outcome comes after its decision).
Backfilled prediction rows carry `backfilled = true`; files written before the column existed
read as not backfilled (`union_by_name` fills NULL, taken as false).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from dashboard.store.catalog import outcome_source
from dashboard.store.engine import quote
from dashboard.store.store import Store

BACKFILL = "backfill"   # the event kind of a shadow backfill


@dataclass
class WindowRows:
    """A model's logged rows of a window (latest per application) and the files they came from."""

    frame: pd.DataFrame
    files: list[tuple[str, int]]          # (path relative to the store, rows in the file)
    missing: list[str]                    # columns asked for that the window's logs lack


def _file_rows(store: Store, files: list[Path]) -> list[tuple[str, int]]:
    return [(str(p.relative_to(store.root)), int(pq.ParquetFile(p).metadata.num_rows)) for p in files]


def _present_columns(store: Store, source: str) -> set[str]:
    return set(store.sql(f"DESCRIBE SELECT * FROM {source}")["column_name"])


def load_matured_rows(store: Store, model_id: str, start: dt.date, end: dt.date,
                      features: list[str]) -> WindowRows:
    """Applications `model_id` scored in [start, end] whose outcome has arrived: features, the
    month of decision and the latest label. Outcomes exist only for booked (approved) loans."""
    files = store.prediction_files(model_id, start, end)
    out_files = [f for f in store.outcome_files() if f.parent.name[5:] >= start.isoformat()]
    listed = _file_rows(store, files) + _file_rows(store, out_files)
    if not files or not out_files:
        return WindowRows(frame=pd.DataFrame(columns=["application_id", "month", "label", *features]),
                          files=listed, missing=[])
    source = store.predictions_source(files)
    assert source is not None
    present = _present_columns(store, source)
    missing = [f for f in features if f not in present]
    if missing:
        return WindowRows(frame=pd.DataFrame(), files=listed, missing=missing)
    picks = ", ".join(f"arg_max({quote(f)}, timestamp) AS {quote(f)}" for f in features)
    frame = store.sql(f"""
        WITH p AS (SELECT application_id, max(timestamp) AS timestamp, {picks} FROM {source}
                   WHERE timestamp >= ? AND timestamp < ? GROUP BY application_id),
             o AS (SELECT application_id, arg_max(label, outcome_timestamp)::INTEGER AS label
                   FROM {outcome_source(out_files, globs=False)}
                   WHERE application_id IN (SELECT application_id FROM p) GROUP BY application_id)
        SELECT p.application_id, strftime(p.timestamp, '%Y-%m') AS month, o.label, {', '.join(
            'p.' + quote(f) for f in features)}
        FROM p JOIN o USING (application_id) ORDER BY p.timestamp, p.application_id""",
        [dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())])
    return WindowRows(frame=frame, files=listed, missing=[])


def load_window_applications(store: Store, model_id: str, start: dt.date, end: dt.date,
                             columns: list[str]) -> WindowRows:
    """Applications `model_id` scored in [start, end] (latest row each) with their original
    timestamp and `columns` (features, then whatever protected attributes the logs hold)."""
    files = store.prediction_files(model_id, start, end)
    if not files:
        return WindowRows(frame=pd.DataFrame(), files=[], missing=[])
    source = store.predictions_source(files)
    assert source is not None
    present = _present_columns(store, source)
    missing = [c for c in columns if c not in present]
    picks = "".join(f", arg_max({quote(c)}, timestamp) AS {quote(c)}" for c in columns if c in present)
    frame = store.sql(f"""
        SELECT application_id, max(timestamp) AS timestamp{picks} FROM {source}
        WHERE timestamp >= ? AND timestamp < ? GROUP BY application_id ORDER BY 2, 1""",
        [dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())])
    return WindowRows(frame=frame, files=_file_rows(store, files), missing=missing)


def backfilled_counts(store: Store, model_ids: list[str], start: dt.date | None,
                      end: dt.date | None) -> dict[str, tuple[int, int]]:
    """Per model: (backfilled rows, all rows) of its logs in the window; logs without the column
    count as not backfilled. Only models named by a `backfill` event are counted from their files
    (the others read (0, 0) without a scan, so pages of never-backfilled models cost nothing)."""
    backfilled = {e.get("model_id") for e in backfill_history(store)}
    out: dict[str, tuple[int, int]] = {}
    for model_id in model_ids:
        files = store.prediction_files(model_id, start, end) if model_id in backfilled else []
        source = store.predictions_source(files) if files else None
        if source is None:
            out[model_id] = (0, 0)
            continue
        flag = "coalesce(backfilled, false)" if "backfilled" in _present_columns(store, source) else "false"
        row = store.sql(f"SELECT count(*) FILTER ({flag}) AS b, count(*) AS n FROM {source}").iloc[0]
        out[model_id] = (int(row["b"]), int(row["n"]))
    return out


def backfill_history(store: Store, model_id: str | None = None) -> list[dict[str, Any]]:
    """The backfill events (newest last), of one model or all."""
    return store.read_events(BACKFILL, (lambda e: e.get("model_id") == model_id) if model_id else None)


def write_backfill_event(store: Store, payload: dict[str, Any], actor: str) -> dict[str, Any]:
    return store.append_event(BACKFILL, payload, actor=actor)
