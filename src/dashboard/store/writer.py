"""Writing logs: validated prediction and outcome rows typed as the store keeps them, ids
already stored skipped, one Parquet file per partition written under a dot name, fsynced and renamed
into place (store/files.py), then the touched days' rollups. Writers serialize on the store's lock file."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.store.catalog import NEW_PREFIX, LogCatalog, month_of
from dashboard.store.engine import Engine, parquet_list
from dashboard.store.files import commit_staged, exclusive_lock, stage_file
from dashboard.store.id_index import IdIndex
from dashboard.store.layout import Layout
from dashboard.store.models import ModelRegistry
from dashboard.store.outcome_delta import OutcomeDelta
from dashboard.store.recovery import Recovery
from dashboard.store.rollups.compute import RollupChunk, plan_chunks
from dashboard.store.rollups.writer import RollupWriter

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


@dataclass
class WriteStats:
    written: int = 0
    skipped_existing: int = 0
    files: int = 0
    partitions: list[tuple[str, str]] = field(default_factory=list)
    rollups_rebuilt: bool = False   # the store's rollups were of an older format and were rebuilt


def string_array(series: pd.Series) -> pa.Array:
    """Text cells to Arrow; non-text values (numbers in a categorical column) as their text."""
    try:
        return pa.array(series, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(series.astype(object).where(series.notna(), None).map(
            lambda v: None if v is None else str(v)), pa.string())


def partition_slices(table: pa.Table, partition_by: tuple[str, ...]) -> list[tuple[tuple[str, ...], pa.Table]]:
    """The batch cut into one slice per partition value, partition columns left out."""
    if table.num_rows == 0:
        return []
    n = table.num_rows

    def change_points(t: pa.Table) -> np.ndarray:
        change = np.zeros(n, dtype=bool)
        change[0] = True
        for c in partition_by:
            col = t.column(c)
            if n > 1:
                change[1:] |= pc.not_equal(col.slice(1), col.slice(0, n - 1)).to_numpy(zero_copy_only=False)
        return np.flatnonzero(change)

    starts = change_points(table)
    groups = table.select(list(partition_by)).group_by(list(partition_by)).aggregate([]).num_rows
    if len(starts) != groups:  # a partition's rows are not together: sort (logs usually come in time order)
        table = table.sort_by([(c, "ascending") for c in partition_by])
        starts = change_points(table)
    ends = np.append(starts[1:], n)
    keys = table.select(list(partition_by)).take(pa.array(starts)).to_pylist()
    body = table.drop_columns(list(partition_by))
    return [(tuple(str(k[c]) for c in partition_by), body.slice(int(a), int(b - a)))
            for k, a, b in zip(keys, starts, ends, strict=True)]


def batch_partitions(table: pa.Table) -> list[tuple[str, str]]:
    """The (model_id, date) pairs a typed prediction batch writes to."""
    keys = table.select(["model_id", "date"]).group_by(["model_id", "date"]).aggregate([])
    return list(zip(keys.column("model_id").to_pylist(), keys.column("date").to_pylist(), strict=True))


def typed_outcomes(good: pd.DataFrame) -> pa.Table:
    """Validated outcome rows as the store keeps them, with their `date` partition."""
    return pa.table({
        "application_id": pa.array(good["application_id"].astype(str), pa.string()),
        "outcome_timestamp": pa.array(good["outcome_timestamp"].astype("datetime64[us]"), pa.timestamp("us")),
        "label": pa.array(good["label"].astype("int8"), pa.int8()),
        "loan_amount": pa.array(good["loan_amount"].astype(float), pa.float64(), from_pandas=True),
        "loss_amount": pa.array(good["loss_amount"].astype(float), pa.float64(), from_pandas=True),
        "date": pa.array(good["outcome_timestamp"].dt.strftime("%Y-%m-%d"), pa.string()),
    })


class LogWriter:
    def __init__(self, layout: Layout, engine: Engine, catalog: LogCatalog, models: ModelRegistry,
                 rollups: RollupWriter, recovery: Recovery) -> None:
        self.layout = layout
        self.engine = engine
        self.catalog = catalog
        self.models = models
        self.rollups = rollups
        self.recovery = recovery
        self.ids = IdIndex(layout.root, layout.id_index)
        self.delta = OutcomeDelta(layout, engine, catalog, models, rollups, self.ids)

    # ------------------------------------------------------------------ predictions
    def write_predictions(self, good: pd.DataFrame, progress: Progress | None = None) -> WriteStats:
        """Store validated prediction rows; ids already stored are skipped."""
        if good.empty:
            return WriteStats()
        models = sorted(good["model_id"].unique())
        frames = [self.typed_predictions(m, good[good["model_id"] == m]) for m in models]
        return self.write_typed_predictions(pa.concat_tables(frames, promote_options="default"), progress)

    def write_typed_predictions(self, table: pa.Table, progress: Progress | None = None) -> WriteStats:
        """Store prediction rows already typed as the store keeps them (`typed_predictions`, or the
        Arrow fast path of ingest); ids already stored are skipped."""
        stats = WriteStats()
        if table.num_rows == 0:
            return stats
        with exclusive_lock(self.layout.lock):
            self.recovery.recover()
            stats.rollups_rebuilt = self.rollups.upgrade(progress)
            table = self._drop_existing_predictions(table, stats)
            if table.num_rows == 0:
                return stats
            for model_id in sorted(pc.unique(table.column("model_id")).to_pylist()):
                self.models.ensure_bins(model_id, table)
            partitions, marker, fresh, computed, outcome_files = self._publish_predictions(table, stats)
            self.rollups.write([(m, d) for m, d in partitions], [], progress, batch=table, fresh=fresh,
                               computed=computed, outcome_files=outcome_files)
            marker.unlink(missing_ok=True)
            stats.written = table.num_rows
            stats.partitions = sorted({(m, month_of(d)) for m, d in partitions})
            log.info("stored %d prediction rows in %d files (%d already stored)", stats.written, stats.files,
                     stats.skipped_existing)
        return stats

    def _publish_predictions(self, table: pa.Table, stats: WriteStats) -> tuple[
            list[tuple[str, ...]], Path, set[tuple[str, str]], list[RollupChunk] | None, list[Path]]:
        """Publish the batch's files; when every day is new, compute its rollups meanwhile from
        memory (they are stored after the files, as always)."""
        units = batch_partitions(table)
        fresh = {(m, d) for m, d in units if not self.catalog.has_day(m, d)}
        outcome_files = self._outcome_files_of_days(table, [u for u in units if u not in fresh])
        if fresh != set(units):
            partitions, marker = self._publish(table, self.layout.predictions, ("model_id", "date"), stats)
            return partitions, marker, fresh, None, outcome_files
        with ThreadPoolExecutor(max_workers=1) as pool:
            computing = pool.submit(lambda: list(self.rollups.computer.iter_chunks(
                plan_chunks(units), table, fresh, outcome_files)))
            partitions, marker = self._publish(table, self.layout.predictions, ("model_id", "date"), stats)
            return partitions, marker, fresh, computing.result(), outcome_files

    def _outcome_files_of_days(self, table: pa.Table, stored_days: Sequence[tuple[str, str]]) -> list[Path]:
        """The outcome files that can hold an application of the batch or of the stored rows of
        the days it adds to (id index): the only ones the days' rollups join."""
        ids = table.column("application_id").to_pylist()
        for model_id, day in stored_days:
            for path in self.catalog.day_files(model_id, [day]):
                ids += pq.read_table(path, columns=["application_id"]).column(0).to_pylist()
        return self.delta.outcome_files_for(sorted(set(ids)))

    def typed_predictions(self, model_id: str, part: pd.DataFrame) -> pa.Table:
        """Validated rows of one model as the store keeps them (feature types from the card)."""
        card = self.models.load_card(model_id)
        cols: dict[str, Any] = {
            "prediction_id": pa.array(part["prediction_id"].astype(str), pa.string()),
            "model_id": pa.array(part["model_id"].astype(str), pa.string()),
            "timestamp": pa.array(part["timestamp"].astype("datetime64[us]"), pa.timestamp("us")),
            "application_id": pa.array(part["application_id"].astype(str), pa.string()),
            "score": pa.array(part["score"].astype(float), pa.float64()),
            "decision": pa.array(part["decision"].astype(object).where(part["decision"].notna(), None), pa.string()),
            "latency_ms": pa.array(part["latency_ms"].astype(float), pa.float64(), from_pandas=True),
        }
        if "backfilled" in part.columns and bool(part["backfilled"].any()):
            # Only backfills write the flag: live files keep the schema they always had.
            cols["backfilled"] = pa.array(part["backfilled"].astype(bool), pa.bool_())
        for spec in card.features:
            series = part[spec.name]
            if spec.type == "numeric":
                cols[spec.name] = pa.array(series.astype(float), pa.float64(), from_pandas=True)
            else:
                cols[spec.name] = string_array(series)
        for name in card.kept_columns:
            if name in part.columns and name not in cols:
                cols[name] = string_array(part[name])
        table = pa.table(cols)
        dates = pa.array(part["timestamp"].dt.strftime("%Y-%m-%d"), pa.string())
        return table.append_column("date", dates)

    def _drop_existing_predictions(self, table: pa.Table, stats: WriteStats) -> pa.Table:
        models = sorted(pc.unique(table.column("model_id")).to_pylist())
        existing = self._existing_prediction_ids(models, table.column("prediction_id"))
        if not existing:
            return table
        known = pc.is_in(table.column("prediction_id"), value_set=pa.array(sorted(existing), pa.string()))
        stats.skipped_existing = int(pc.sum(known).as_py() or 0)
        return table.filter(pc.invert(known))

    def _existing_prediction_ids(self, models: Iterable[str], ids: pa.ChunkedArray) -> set[str]:
        wanted = ids.to_pylist()
        files = [f for m in models for f in self.ids.candidates(
            f"predictions-{m}", self.catalog.prediction_files(model_id=m), "prediction_id", wanted)]
        if not files:
            return set()
        with self.engine.cursor() as cur:
            cur.register("batch_ids", pa.table({"prediction_id": ids}))
            rows = cur.execute(
                f"SELECT DISTINCT p.prediction_id FROM read_parquet({parquet_list(files)}) p "
                "SEMI JOIN batch_ids b ON p.prediction_id = b.prediction_id").fetchall()
        return {r[0] for r in rows}

    # ------------------------------------------------------------------ outcomes
    def write_outcomes(self, good: pd.DataFrame, progress: Progress | None = None) -> WriteStats:
        """Store validated outcomes; (application_id, outcome_timestamp) already stored is skipped.

        The rollups take the batch as a delta (store/outcome_delta.py); when they cannot, the
        touched days are recomputed from the logs."""
        stats = WriteStats()
        if good.empty:
            return stats
        with exclusive_lock(self.layout.lock):
            self.recovery.recover()
            stats.rollups_rebuilt = self.rollups.upgrade(progress)
            stored = self.delta.stored_outcomes(sorted(set(good["application_id"].astype(str))))
            good = self._drop_existing_outcomes(good, stats, stored)
            if good.empty:
                return stats
            table = typed_outcomes(good)
            _, marker = self._publish(table, self.layout.outcomes, ("date",), stats)
            out_days = sorted(set(table.column("date").to_pylist()))
            affected = self.delta.apply(stored, table) if self.delta.handles_every_kind() else None
            if affected is None:
                affected = self._prediction_dates_for(table.column("application_id"))
                self.rollups.write(affected, out_days, progress)
            else:
                self.rollups.write([], out_days, progress)
            marker.unlink(missing_ok=True)
            stats.written = table.num_rows
            stats.partitions = sorted({(m, month_of(d)) for m, d in affected})
            log.info("stored %d outcome rows (%d already stored)", stats.written, stats.skipped_existing)
        return stats

    def _drop_existing_outcomes(self, good: pd.DataFrame, stats: WriteStats,
                                stored: pa.Table | None = None) -> pd.DataFrame:
        """`good` without the outcomes already stored (same application_id and outcome_timestamp);
        `stored`: the stored outcomes of its applications, when the caller has read them."""
        if stored is None:
            stored = self.delta.stored_outcomes(sorted(set(good["application_id"].astype(str))))
        if stored.num_rows == 0:
            return good
        seen = set(zip(stored.column("application_id").to_pylist(),
                       (pd.Timestamp(t) for t in stored.column("outcome_timestamp").to_pylist()), strict=True))
        keys = zip(good["application_id"].astype(str), good["outcome_timestamp"], strict=True)
        keep = np.array([(a, pd.Timestamp(t)) not in seen for a, t in keys], dtype=bool)
        stats.skipped_existing = int((~keep).sum())
        return good[keep]

    def _prediction_dates_for(self, application_ids: pa.ChunkedArray | pa.Array) -> list[tuple[str, str]]:
        """The (model, date) partitions holding predictions for these applications."""
        wanted = application_ids.to_pylist()
        files = [f for m in self.catalog.prediction_models() for f in self.ids.candidates(
            f"applications-{m}", self.catalog.prediction_files(model_id=m), "application_id", wanted)]
        source = self.catalog.predictions_source(files) if files else None
        if source is None:
            return []
        with self.engine.cursor() as cur:
            cur.register("batch_apps", pa.table({"application_id": application_ids}))
            rows = cur.execute(
                f"SELECT DISTINCT model_id, strftime(date, '%Y-%m-%d') FROM {source} p "
                "SEMI JOIN batch_apps b ON p.application_id = b.application_id").fetchall()
        return sorted((str(m), str(d)) for m, d in rows)

    # ------------------------------------------------------------------ publishing files
    def _publish(self, table: pa.Table, base: Path, partition_by: tuple[str, ...],
                 stats: WriteStats) -> tuple[list[tuple[str, ...]], Path]:
        """Write one file per partition under a dot name in its folder, then rename it into place.

        A pending marker names the partitions first, so a writer killed midway leaves rollups and
        dot files that the next writer repairs and removes. Readers only see `part-*`. Returns the
        partitions and the marker, which the caller removes once the rollups are written.
        """
        slices = partition_slices(table, partition_by)
        partitions = {values for values, _ in slices}
        marker = self.recovery.mark_pending(base, partitions)

        def write_one(item: tuple[tuple[str, ...], pa.Table]) -> tuple[Path, Path]:
            values, part = item
            folder = base.joinpath(*[f"{c}={v}" for c, v in zip(partition_by, values, strict=True)])
            name = f"part-{uuid.uuid4().hex}.parquet"
            staged = stage_file(folder / name, lambda fh: pq.write_table(part, fh, compression="zstd"),
                                folder / f"{NEW_PREFIX}{name}")
            return staged, folder / name

        # A few threads: zstd, fsync and the file system overlap; about twice DuckDB's
        # partitioned COPY when a batch spans hundreds of days.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
            written = list(pool.map(write_one, slices))
            stats.files += sum(1 for _ in pool.map(lambda pair: commit_staged(*pair), written))
        return sorted(partitions), marker
