"""The Python API: `Monitor(store_dir).log_predictions(rows)` from a scoring service or a notebook.

The same validation, quarantine, idempotence and rollup update as `dashboard ingest` (one path,
`ingest.service.ingest_frame`); each call records an `ingest_batch` event (source "python").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import pandas as pd

from dashboard.ingest.service import FileReport, ingest_frame, record_ingest_batch
from dashboard.store import Store, open_store

Rows: TypeAlias = pd.DataFrame | Mapping[str, Any] | Iterable[Mapping[str, Any]]


@dataclass(frozen=True)
class RowRejection:
    row: int          # 1-based position in what was passed
    reason: str       # the same text as `dashboard ingest` and the HTTP API give


@dataclass(frozen=True)
class LogReport:
    """What one log_* call did."""
    rows: int
    stored: int
    skipped: int                  # already stored (same id): a repeated call stores nothing twice
    rejected: list[RowRejection] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # one line per (column, reason)
    quarantine: str | None = None                        # folder of the rejected rows and reasons

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.problems


def to_frame(rows: Rows) -> pd.DataFrame:
    """A frame from a DataFrame, one record (a mapping) or an iterable of records."""
    if isinstance(rows, pd.DataFrame):
        return rows
    if isinstance(rows, Mapping):
        return pd.DataFrame.from_records([dict(rows)])
    records = list(rows)
    if not all(isinstance(r, Mapping) for r in records):
        raise TypeError("rows must be a DataFrame, a mapping or an iterable of mappings")
    return pd.DataFrame.from_records([dict(r) for r in records])


def report_of(fr: FileReport) -> LogReport:
    return LogReport(rows=fr.rows, stored=fr.stored, skipped=fr.skipped_existing,
                     rejected=[RowRejection(r, why) for r, why in fr.row_reasons],
                     problems=list(fr.problems), quarantine=fr.quarantine)


class Monitor:
    """Log predictions and outcomes into a store folder (created when missing)."""

    def __init__(self, store_dir: str | os.PathLike[str] | Store) -> None:
        self.store = store_dir if isinstance(store_dir, Store) else open_store(store_dir)

    def log_predictions(self, rows: Rows) -> LogReport:
        """Store prediction rows (the columns of `dashboard ingest predictions`); bad rows quarantined."""
        return self._log("predictions", rows)

    def log_outcomes(self, rows: Rows) -> LogReport:
        """Store outcome rows (application_id, outcome_timestamp, label, ...); bad rows quarantined."""
        return self._log("outcomes", rows)

    def _log(self, kind: str, rows: Rows) -> LogReport:
        frame = to_frame(rows)
        if frame.empty:
            return LogReport(rows=0, stored=0, skipped=0)
        fr = ingest_frame(self.store, kind, frame, source="python")
        record_ingest_batch(self.store, "python", kind, [fr])
        return report_of(fr)
