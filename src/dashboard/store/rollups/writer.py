"""Writing rollups: the recomputed days into their month files (day and month grain), a whole
rebuild from the logs, and the rollup format a store was written in. Callers hold the writer lock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import pyarrow as pa

from dashboard.store.catalog import LogCatalog, month_of
from dashboard.store.files import write_json_atomic, write_parquet_atomic
from dashboard.store.layout import (
    MONTH_KINDS,
    MONTH_ROLLUP_KEYS,
    OUTCOME_ROLLUP,
    ROLLUP_KINDS,
    TABLE_KINDS,
    Layout,
)
from dashboard.store.rollups.compute import RollupChunk, RollupComputer, plan_chunks
from dashboard.store.rollups.months import merge_into_months
from dashboard.store.rollups.schemas import compute_month_grain

# What the rollup files hold; bumped when a change needs every rollup recomputed. Version 2:
# the money model's sums in `scores` and protected attributes grouped (numeric ones in bands);
# 3: positions and tail sub-bins in `features`, 200-per-decade `latency` bins.
ROLLUP_FORMAT = 3
Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


class RollupWriter:
    def __init__(self, layout: Layout, catalog: LogCatalog, computer: RollupComputer) -> None:
        self.layout = layout
        self.catalog = catalog
        self.computer = computer

    def write(self, units: Sequence[tuple[str, str]], outcome_dates: Sequence[str],
              progress: Progress | None = None, batch: pa.Table | None = None,
              fresh: set[tuple[str, str]] | None = None, whole_months: bool = False,
              computed: Sequence[RollupChunk] | None = None, outcome_files: Sequence[Path] | None = None) -> None:
        """Recompute the rollups of the named (model, date) partitions and outcome dates.

        Only those dates are computed; their rows replace the same dates' rows in each month
        file, so a daily batch costs a day, not a month. `fresh` partitions (no files before
        this batch) are computed from `batch` in memory. `whole_months` (rebuild) writes every
        month from scratch, a month at a time to bound memory. `computed`: chunks already
        computed (while the batch's files were being written). `outcome_files`: the outcome files
        that can hold the days' applications (None: every one).
        """
        chunks = plan_chunks(units, whole_months)
        total = len(chunks) + (1 if outcome_dates else 0)
        results = computed if computed is not None else self.computer.iter_chunks(chunks, batch, fresh, outcome_files)
        for done, (model_id, days, tables) in enumerate(results, start=1):
            for kind, table in tables.items():
                on_month = partial(self.write_month_grain, kind, model_id) if kind in MONTH_ROLLUP_KEYS else None
                merge_into_months(table, days, partial(self.layout.rollup_file, kind, model_id), whole_months,
                                  on_month)
            if progress:
                progress(done, total)
        if outcome_dates:
            out_days = sorted(set(outcome_dates))
            merge_into_months(self.computer.compute_outcomes(out_days), out_days, self.layout.outcome_rollup_file,
                              whole_months)
            if progress:
                progress(total, total)

    def write_month_grain(self, kind: str, model_id: str, month: str, table: pa.Table | None) -> None:
        """The <kind>_month file of one model and month, from that month's day rows (None: none left)."""
        path = self.layout.rollup_file(f"{kind}_month", model_id, month)
        if table is None:
            path.unlink(missing_ok=True)
        else:
            write_parquet_atomic(path, compute_month_grain(kind, table, month))

    def rebuild(self, progress: Progress | None = None) -> int:
        """Every rollup recomputed from the logs; the (model, month) partitions written."""
        units = self.catalog.prediction_days()
        outcome_dates = self.catalog.outcome_days()
        log.info("rebuilding the rollups of %s: %d model days, %d outcome days", self.layout.root, len(units),
                 len(outcome_dates))
        self.write(units, outcome_dates, progress, whole_months=True)
        months = {(m, month_of(d)) for m, d in units}
        outcome_months = {month_of(d) for d in outcome_dates}
        keep = {str(self.layout.rollup_file(k, m, mo)) for k in (*ROLLUP_KINDS, *MONTH_KINDS) for m, mo in months}
        keep |= {str(self.layout.outcome_rollup_file(mo)) for mo in outcome_months}
        for kind in TABLE_KINDS:
            for path in self.layout.rollup_files(kind):
                if str(path) not in keep:
                    path.unlink(missing_ok=True)
        write_json_atomic(self.layout.rollup_format, {"version": ROLLUP_FORMAT})
        return len(months) + len(outcome_months)

    # ------------------------------------------------------------------ the format
    def format(self) -> int:
        """The format the rollup files were written in (1: before the format was recorded)."""
        path = self.layout.rollup_format
        if path.exists():
            try:
                return int(json.loads(path.read_text("utf-8")).get("version", 1))
            except (OSError, ValueError, AttributeError):
                return 1
        has_rollups = any(self.layout.rollup_files(k) for k in (*ROLLUP_KINDS, OUTCOME_ROLLUP))
        return 1 if has_rollups else ROLLUP_FORMAT

    def outdated(self) -> str | None:
        """A message when the rollups were written by an older version (figures may be wrong)."""
        found = self.format()
        if found >= ROLLUP_FORMAT:
            return None
        return (f"The rollups of {self.layout.root} were written by an older version (format {found}, now "
                f"{ROLLUP_FORMAT}): money and fairness figures may be wrong until you run "
                "`dashboard rollup rebuild` (the next ingest does it too).")

    def upgrade(self, progress: Progress | None = None) -> bool:
        """Rebuild rollups of an older format; True when it did."""
        if self.format() >= ROLLUP_FORMAT:
            if not self.layout.rollup_format.exists():
                write_json_atomic(self.layout.rollup_format, {"version": ROLLUP_FORMAT})
            return False
        log.warning("the rollups of %s are of format %d: rebuilding them as format %d", self.layout.root,
                    self.format(), ROLLUP_FORMAT)
        self.rebuild(progress)
        return True
