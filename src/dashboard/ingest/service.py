"""Ingest glue: read each file, validate, store the good rows, quarantine the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard.ingest.arrow_validation import compute_typed_predictions
from dashboard.ingest.validation import ValidationResult, validate_outcomes, validate_predictions
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
        fr.rows = len(frame)
        result = validate(frame, str(path))
        fr.problems, fr.warnings = list(result.problems), list(result.warnings)
        fr.rejected = len(result.rejected)
        if not result.rejected.empty:
            fr.quarantine = str(store.quarantine(str(path), result.rejected, result.problems))
            log.info("%s: %d of %d %s rows rejected, kept in %s", path, fr.rejected, fr.rows, kind,
                        fr.quarantine)
        if kind == "predictions":
            stats = store.write_predictions(result.good, progress)
        else:
            stats = store.write_outcomes(result.good, progress)
        _record(fr, stats)
    return report


def _record(fr: FileReport, stats: WriteStats) -> None:
    fr.stored, fr.skipped_existing = stats.written, stats.skipped_existing
    if stats.rollups_rebuilt:
        fr.warnings.append("the store's rollups were written by an older version: every rollup was "
                           "recomputed from the logs first (figures now follow the current rules)")


def ingest_prediction_files(store: Store, paths: Sequence[str | Path],
                            progress: Progress | None = None) -> IngestReport:
    cards = store.list_cards()
    return _ingest(store, "predictions", paths, lambda f, s: validate_predictions(f, cards, s), progress,
                   fast=lambda table: compute_typed_predictions(table, cards))


def ingest_outcome_files(store: Store, paths: Sequence[str | Path],
                         progress: Progress | None = None) -> IngestReport:
    return _ingest(store, "outcomes", paths, lambda f, s: validate_outcomes(f, s), progress)
