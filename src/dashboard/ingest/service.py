"""Ingest glue: read each file, validate, store the good rows, quarantine the rest."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard.ingest.arrow_validation import compute_typed_predictions
from dashboard.ingest.validation import (
    REASON_COLUMN,
    ROW_COLUMN,
    ValidationResult,
    validate_outcomes,
    validate_predictions,
)
from dashboard.store import Store
from dashboard.store.reader import InputFileError, read_arrow_table, read_table
from dashboard.store.writer import WriteStats

Progress = Callable[[int, int], None]

log = logging.getLogger(__name__)


@dataclass
class FileReport:
    path: str
    rows: int = 0
    stored: int = 0
    skipped_existing: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    quarantine: str | None = None
    row_reasons: list[tuple[int, str]] = field(default_factory=list)  # (1-based row, why), rejected rows

    @property
    def ok(self) -> bool:
        return self.rejected == 0 and not self.problems


@dataclass
class IngestReport:
    kind: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)

    def lines(self) -> list[str]:
        """What a person reads after an ingest: one summary per file, then each problem."""
        out = []
        for f in self.files:
            head = (f"{f.path}: {f.rows:,} rows, {f.stored:,} stored, {f.skipped_existing:,} already stored "
                    f"(skipped), {f.rejected:,} rejected")
            out.append(head)
            out += [f"  error: {p}" for p in f.problems]
            out += [f"  warning: {w}" for w in f.warnings]
            if f.quarantine:
                out.append(f"  rejected rows and reasons kept in {f.quarantine}")
        return out


def _ingest(store: Store, kind: str, paths: Sequence[str | Path],
            validate: Callable[[pd.DataFrame, str], ValidationResult],
            progress: Progress | None,
            fast: Callable[[pa.Table], pa.Table | None] | None = None) -> IngestReport:
    report = IngestReport(kind=kind)
    for path in map(Path, paths):
        fr = FileReport(path=str(path))
        report.files.append(fr)
        try:
            table = read_arrow_table(path) if fast is not None else None
            typed = fast(table) if fast is not None and table is not None else None
            if typed is not None:
                # A clean, well-typed Parquet file: checked and typed in Arrow, no pandas round trip.
                fr.rows = table.num_rows if table is not None else 0
                stats = store.write_typed_predictions(typed, progress)
                _record(fr, stats)
                continue
            frame = table.to_pandas() if table is not None else read_table(path)
        except InputFileError as exc:
            fr.problems.append(str(exc).split(": ", 1)[-1])
            fr.quarantine = str(store.quarantine(str(path), pd.DataFrame(), fr.problems, raw_file=path))
            log.info("%s could not be read (%s): kept in %s", path, exc, fr.quarantine)
            continue
        _check_and_write(store, kind, frame, fr, validate, progress)
    return report


def check_frame(store: Store, kind: str, frame: pd.DataFrame, fr: FileReport,
                validate: Callable[[pd.DataFrame, str], ValidationResult]) -> ValidationResult:
    """Validate a frame into `fr`; rejected rows are quarantined with their reasons."""
    fr.rows = len(frame)
    result = validate(frame, fr.path)
    fr.problems, fr.warnings = list(result.problems), list(result.warnings)
    fr.rejected = len(result.rejected)
    if not result.rejected.empty:
        fr.quarantine = str(store.quarantine(fr.path, result.rejected, result.problems))
        fr.row_reasons = [(int(r), str(why)) for r, why in
                          zip(result.rejected[ROW_COLUMN], result.rejected[REASON_COLUMN], strict=True)]
        log.info("%s: %d of %d %s rows rejected, kept in %s", fr.path, fr.rejected, fr.rows, kind, fr.quarantine)
    return result


def _check_and_write(store: Store, kind: str, frame: pd.DataFrame, fr: FileReport,
                     validate: Callable[[pd.DataFrame, str], ValidationResult], progress: Progress | None) -> None:
    result = check_frame(store, kind, frame, fr, validate)
    if kind == "predictions":
        stats = store.write_predictions(result.good, progress)
    else:
        stats = store.write_outcomes(result.good, progress)
    _record(fr, stats)


def ingest_frame(store: Store, kind: str, frame: pd.DataFrame, source: str,
                 progress: Progress | None = None) -> FileReport:
    """One frame of predictions or outcomes (from Python, not a file), by the same path as a file."""
    fr = FileReport(path=source)
    if kind == "predictions":
        cards = store.list_cards()
        _check_and_write(store, kind, frame, fr, lambda f, s: validate_predictions(f, cards, s), progress)
    elif kind == "outcomes":
        _check_and_write(store, kind, frame, fr, validate_outcomes, progress)
    else:
        raise ValueError(f"unknown log kind {kind!r}: predictions or outcomes")
    return fr


def _record(fr: FileReport, stats: WriteStats) -> None:
    fr.stored, fr.skipped_existing = stats.written, stats.skipped_existing
    if stats.rollups_rebuilt:
        fr.warnings.append("the store's rollups were written by an older version: every rollup was "
                           "recomputed from the logs first (figures now follow the current rules)")


def record_ingest_batch(store: Store, source: str, kind: str, reports: Sequence[FileReport],
                        batches: int = 1, first_at: dt.datetime | None = None) -> None:
    """One `ingest_batch` event summing `reports` (data freshness per source on Overview)."""
    if not reports:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    payload = {"source": source, "log": kind, "rows": sum(r.rows for r in reports),
               "stored": sum(r.stored for r in reports), "skipped": sum(r.skipped_existing for r in reports),
               "rejected": sum(r.rejected for r in reports), "batches": batches,
               "first_at": (first_at or now).isoformat(), "last_at": now.isoformat()}
    try:
        store.append_event("ingest_batch", payload, actor=source)
    except OSError as exc:  # the rows are stored; a missing activity count must not fail the ingest
        log.warning("could not record the ingest batch event: %s", exc)


def ingest_prediction_files(store: Store, paths: Sequence[str | Path],
                            progress: Progress | None = None) -> IngestReport:
    cards = store.list_cards()
    return _recorded(store, _ingest(store, "predictions", paths, lambda f, s: validate_predictions(f, cards, s), progress,
                   fast=lambda table: compute_typed_predictions(table, cards)))


def ingest_outcome_files(store: Store, paths: Sequence[str | Path],
                         progress: Progress | None = None) -> IngestReport:
    return _recorded(store, _ingest(store, "outcomes", paths, lambda f, s: validate_outcomes(f, s), progress))


def _recorded(store: Store, report: IngestReport) -> IngestReport:
    record_ingest_batch(store, "file", report.kind, report.files)
    return report
