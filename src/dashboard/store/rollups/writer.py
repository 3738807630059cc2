"""Writing rollups: the recomputed days into their month files (day and month grain), a whole
rebuild from the logs, and the rollup format a store was written in. Callers hold the writer lock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow as pa

from dashboard.store.catalog import LogCatalog, month_of
from dashboard.store.errors import StoreError
from dashboard.store.files import remove_file, write_json_atomic, write_parquet_atomic
from dashboard.store.layout import (
    MONTH_KINDS,
    MONTH_ROLLUP_KEYS,
    OUTCOME_ROLLUP,
    ROLLUP_KINDS,
    TABLE_KINDS,
    Layout,
)
from dashboard.store.rollups.compute import RollupChunk, RollupComputer, RollupSource, plan_chunks
from dashboard.store.rollups.months import merge_into_months
from dashboard.store.rollups.schemas import compute_month_grain, month_key

# What the rollup files hold; bumped when a change needs every rollup recomputed. Version 2:
# the money model's sums in `scores` and protected attributes grouped (numeric ones in bands);
# 3: positions and tail sub-bins in `features`, 200-per-decade `latency` bins; 4: the shadow
# sample by the stable sampling hash (store/sampling.py); 5: the `segments` rollup (figures per
# segment column and value).
ROLLUP_FORMAT = 5
# What a rebuild from a format before the key changes for the user (`dashboard rollup rebuild` says it).
FORMAT_CHANGES = {
    4: ("the Challengers page's shadow sample now picks applications by the stable sampling hash "
        "(MD5 of the application id, store/sampling.py) instead of DuckDB's hash(), which changed "
        "between DuckDB releases: the sampled applications change once, and from now on stay the "
        "same across upgrades and engines"),
    5: ("Performance and Drift now show figures per segment (the card's `segments` columns): "
        "the rebuild computes the new `segments` rollups"),
}
Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildScope:
    """What a rebuild recomputes: some models (None: all) and whole months from `first_month`
    to `last_month` (YYYY-MM, None: open). Rollup files are months, so months are the grain."""

    models: frozenset[str] | None = None
    first_month: str | None = None
    last_month: str | None = None

    @classmethod
    def of(cls, models: Collection[str] | None = None, first_month: str | None = None,
           last_month: str | None = None) -> RebuildScope:
        return cls(frozenset(models) if models else None, first_month, last_month)

    @property
    def whole(self) -> bool:
        return self.models is None and self.first_month is None and self.last_month is None

    def has_month(self, month: str) -> bool:
        return (self.first_month is None or month >= self.first_month) and \
            (self.last_month is None or month <= self.last_month)

    def has(self, model_id: str, month: str) -> bool:
        return (self.models is None or model_id in self.models) and self.has_month(month)


class RollupWriter:
    def __init__(self, layout: Layout, catalog: LogCatalog, computer: RollupComputer) -> None:
        self.layout = layout
        self.catalog = catalog
        self.computer = computer

    def write(self, units: Sequence[tuple[str, str]], outcome_dates: Sequence[str],
              progress: Progress | None = None, batch: pa.Table | None = None,
              fresh: set[tuple[str, str]] | None = None, whole_months: bool = False,
              computed: Sequence[RollupChunk] | None = None, source: RollupSource | None = None,
              outcome_files: Sequence[Path] | None = None) -> None:
        """Recompute the rollups of the named (model, date) partitions and outcome dates.

        Only those dates are computed; their rows replace the same dates' rows in each month
        file, so a daily batch costs a day, not a month. `fresh` partitions (no files before
        this batch) are computed from `batch` in memory. `whole_months` (rebuild) writes every
        month from scratch, a month at a time to bound memory. `computed`: chunks already
        computed (while the batch's files were being written). `source`: the engine (DuckDB's
        `RollupComputer` unless told). `outcome_files`: the outcome files that can hold the days'
        applications (None: every one; DuckDB's engine only).
        """
        engine: RollupSource = source or self.computer
        chunks = plan_chunks(units, whole_months)
        total = len(chunks) + (1 if outcome_dates else 0)
        if computed is not None:
            results: Iterable[RollupChunk] = computed
        elif source is None:
            results = self.computer.iter_chunks(chunks, batch, fresh, outcome_files)
        else:   # another engine (a rebuild): it reads every outcome file
            results = source.iter_chunks(chunks, batch, fresh)
        for done, (model_id, days, tables) in enumerate(results, start=1):
            for kind, table in tables.items():
                # the month grain from the day rows, unless the engine computed it itself
                summed = kind in MONTH_ROLLUP_KEYS and f"{kind}_month" not in tables
                on_month = partial(self.write_month_grain, kind, model_id) if summed else None
                merge_into_months(table, days, partial(self.layout.rollup_file, kind, model_id), whole_months,
                                  on_month)
            if progress:
                progress(done, total)
        if outcome_dates:
            out_days = sorted(set(outcome_dates))
            merge_into_months(engine.compute_outcomes(out_days), out_days, self.layout.outcome_rollup_file,
                              whole_months)
            if progress:
                progress(total, total)

    def write_month_grain(self, kind: str, model_id: str, month: str, table: pa.Table | None) -> None:
        """The <kind>_month file of one model and month, from that month's day rows (None: none left)."""
        path = self.layout.rollup_file(f"{kind}_month", model_id, month)
        if table is None:
            remove_file(path)
        else:
            write_parquet_atomic(path, compute_month_grain(kind, table, month))

    def rebuild(self, progress: Progress | None = None, source: RollupSource | None = None,
                scope: RebuildScope | None = None) -> int:
        """The rollups of `scope` (default: all) recomputed from the logs by `source` (default:
        DuckDB); the (model, month) partitions written. Only the scope's log files are read
        (the outcome log whole: a late label may belong to any month's prediction)."""
        scope = scope or RebuildScope()
        if not scope.whole and self.format() < ROLLUP_FORMAT:
            raise StoreError(f"The rollups of {self.layout.root} are of an older format ({self.format()}, now "
                             f"{ROLLUP_FORMAT}): rebuild them all first (`dashboard rollup rebuild` without "
                             "--models, --from or --to).")
        units = [(m, d) for m, d in self.catalog.prediction_days() if scope.has(m, month_of(d))]
        outcome_dates = [d for d in self.catalog.outcome_days() if scope.has_month(month_of(d))]
        log.info("rebuilding the rollups of %s: %d model days, %d outcome days", self.layout.root, len(units),
                 len(outcome_dates))
        self.write(units, outcome_dates, progress, whole_months=True, source=source)
        months = {(m, month_of(d)) for m, d in units}
        outcome_months = {month_of(d) for d in outcome_dates}
        keep = {str(self.layout.rollup_file(k, m, mo)) for k in (*ROLLUP_KINDS, *MONTH_KINDS) for m, mo in months}
        keep |= {str(self.layout.outcome_rollup_file(mo)) for mo in outcome_months}
        for kind in TABLE_KINDS:
            for path in self.layout.rollup_files(kind):
                model_id, month = month_key(str(path))
                inside = scope.has_month(month) if kind == OUTCOME_ROLLUP else scope.has(model_id, month)
                if inside and str(path) not in keep:
                    remove_file(path)
        if scope.whole:
            write_json_atomic(self.layout.rollup_format, {"version": ROLLUP_FORMAT})
        return len(months) + len(outcome_months)

    # ------------------------------------------------------------------ the format
    def format_changes(self) -> list[str]:
        """What rebuilding this store's rollups changes beyond recomputing them (format upgrades)."""
        found = self.format()
        return [text for version, text in sorted(FORMAT_CHANGES.items()) if found < version]

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
                f"{ROLLUP_FORMAT}): money, fairness and segment figures may be wrong until you run "
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
