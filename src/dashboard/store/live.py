"""Durable appends for the HTTP API's group commit, with the rollups refreshed later.

A batch's durable part is only its log files: a pending marker naming its partitions is
written and fsynced first, then one Parquet file per partition (fsynced, renamed into place,
its folder fsynced). When `append_*` returns, the rows survive a crash. The rollups of the
touched days are refreshed later, coalesced (`refresh_rollups`, every few seconds), from the
markers: a process killed before that leaves them, and the next writer's recovery redoes them
(store/recovery.py), exactly as for a writer killed midway.

Duplicates: a prediction id already stored for the same model and day is skipped (a retried
request), from an id set per partition kept in memory and topped up with files other writers
add. The file ingest checks the model's whole history instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.store.catalog import NEW_PREFIX, PART_GLOB
from dashboard.store.files import commit_staged, exclusive_lock, publish_file, stage_file
from dashboard.store.store import Store
from dashboard.store.writer import WriteStats, partition_slices, typed_outcomes

log = logging.getLogger(__name__)
MAX_CACHED_PARTITIONS = 16   # id sets kept: the days being written now, not the history


@dataclass
class LiveStats(WriteStats):
    skipped_ids: set[str] = field(default_factory=set)     # prediction ids already stored
    skipped_rows: list[int] = field(default_factory=list)  # outcome rows (positions) already stored


def _slices(table: pa.Table) -> list[tuple[tuple[str, ...], pa.Table]]:
    """Per (model, day) slices; a live batch is usually one partition, cut without a group-by."""
    models, days = pc.unique(table.column("model_id")), pc.unique(table.column("date"))
    if len(models) == 1 and len(days) == 1:
        return [((str(models[0]), str(days[0])), table.drop_columns(["model_id", "date"]))]
    return partition_slices(table, ("model_id", "date"))


class _PartitionIds:
    """The prediction ids of one (model, day) folder, and which of its files they came from."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.files: set[str] = set()

    def top_up(self, folder: Path) -> None:
        if not folder.is_dir():
            return
        for path in folder.glob(PART_GLOB):
            if path.name not in self.files:
                self.files.add(path.name)
                self.ids.update(pq.read_table(path, columns=["prediction_id"]).column(0).to_pylist())


class SharedFileLock:
    """The store's writer lock held by this process while any of its threads needs it: the
    batch writer and the rollup refresh run side by side, other processes' writers wait."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mutex = threading.Lock()
        self._users = 0
        self._stack: contextlib.ExitStack | None = None

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self._mutex:
            if self._users == 0:
                stack = contextlib.ExitStack()
                stack.enter_context(exclusive_lock(self.path))
                self._stack = stack
            self._users += 1
        try:
            yield
        finally:
            with self._mutex:
                self._users -= 1
                if self._users == 0 and self._stack is not None:
                    self._stack.close()
                    self._stack = None


class LiveWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.layout = store.layout
        self._ids: OrderedDict[tuple[str, str], _PartitionIds] = OrderedDict()
        # Partitions named by a marker this writer wrote since the last refresh: a batch that
        # writes only those needs no marker of its own (the refresh removes them together).
        self._marked: set[tuple[str, ...]] = set()
        self._markers: list[Path] = []
        self.lock = SharedFileLock(self.layout.lock)
        # Held by a batch from its marker to its last file, and by the refresh while it takes
        # the markers: a batch is then either wholly in the folders the refresh reads, or
        # named by a marker the refresh leaves.
        self._batch = threading.Lock()

    def recover(self) -> None:
        """Repair a writer that died (our own earlier process included) before serving."""
        with self.lock.hold(), self._batch:
            self.store.recovery.recover()

    # ------------------------------------------------------------------ appends
    def append_predictions(self, table: pa.Table) -> LiveStats:
        """Durably store typed prediction rows (`LogWriter.typed_predictions`, with `date`)."""
        stats = LiveStats()
        if table.num_rows == 0:
            return stats
        with self.lock.hold(), self._batch:
            table = self._drop_known(table, stats)
            if table.num_rows == 0:
                return stats
            for model_id in sorted(pc.unique(table.column("model_id")).to_pylist()):
                self.store.models.ensure_bins(model_id, table)
            slices = _slices(table)
            self._mark_once({("p", *v) for v, _ in slices})
            for (model_id, day), part in slices:
                name = self._publish(self.layout.prediction_model_dir(model_id) / f"date={day}", part)
                entry = self._ids.get((model_id, day))
                if entry is not None:
                    entry.files.add(name)
                    entry.ids.update(part.column("prediction_id").to_pylist())
                stats.files += 1
            stats.written = table.num_rows
            stats.partitions = sorted({(m, d[:7]) for (m, d), _ in slices})
        return stats

    def append_outcomes(self, good: pd.DataFrame) -> LiveStats:
        """Durably store validated outcome rows; (application_id, outcome_timestamp) stored is skipped."""
        stats = LiveStats()
        if good.empty:
            return stats
        writer = self.store.writer
        with self.lock.hold(), self._batch:
            kept = writer._drop_existing_outcomes(good, stats)
            stats.skipped_rows = sorted(set(range(len(good))) - {good.index.get_loc(i) for i in kept.index})
            good = kept
            if good.empty:
                return stats
            table = typed_outcomes(good)
            affected = writer._prediction_dates_for(table.column("application_id"))
            slices = partition_slices(table, ("date",))
            self._mark_once({("p", *u) for u in affected} | {("o", v[0]) for v, _ in slices})
            for (day,), part in slices:
                self._publish(self.layout.outcomes / f"date={day}", part)
                stats.files += 1
            stats.written = table.num_rows
        return stats

    def _mark_once(self, units: set[tuple[str, ...]]) -> None:
        if not all(m.exists() for m in self._markers):  # another writer's recovery took them
            self._marked.clear()
            self._markers.clear()
        new = units - self._marked
        if new:
            self._mark({"predictions": sorted([list(u[1:]) for u in new if u[0] == "p"]),
                        "outcomes": sorted(u[1] for u in new if u[0] == "o")})
            self._marked |= new

    def _mark(self, payload: dict[str, object]) -> None:
        """The pending marker, durable before any data file: recovery redoes these rollups."""
        target = self.layout.pending / f"{uuid.uuid4().hex}.json"
        self._markers.append(target)
        publish_file(target, lambda fh: fh.write(json.dumps(payload).encode("utf-8")))

    def _publish(self, folder: Path, part: pa.Table) -> str:
        name = f"part-{uuid.uuid4().hex}.parquet"
        staged = stage_file(folder / name, lambda fh: pq.write_table(part, fh, compression="zstd"),
                            folder / f"{NEW_PREFIX}{name}")
        commit_staged(staged, folder / name)
        return name

    def _drop_known(self, table: pa.Table, stats: LiveStats) -> pa.Table:
        models, days, ids = (table.column(c).to_pylist() for c in ("model_id", "date", "prediction_id"))
        known = {key: self._partition_ids(*key).ids for key in set(zip(models, days, strict=True))}
        mask = [pid not in known[(m, d)] for m, d, pid in zip(models, days, ids, strict=True)]
        stats.skipped_ids = {pid for pid, keep in zip(ids, mask, strict=True) if not keep}
        stats.skipped_existing = len(mask) - sum(mask)
        return table.filter(pa.array(mask)) if stats.skipped_existing else table

    def _partition_ids(self, model_id: str, day: str) -> _PartitionIds:
        """The partition's id set, topped up with files other writers added since (a folder listing)."""
        key = (model_id, day)
        entry = self._ids.get(key)
        if entry is None:
            entry = self._ids[key] = _PartitionIds()
            while len(self._ids) > MAX_CACHED_PARTITIONS:
                self._ids.popitem(last=False)
        self._ids.move_to_end(key)
        entry.top_up(self.layout.prediction_model_dir(model_id) / f"date={day}")
        return entry

    # ------------------------------------------------------------------ deferred rollups
    def refresh_rollups(self) -> int:
        """Recompute the rollups the pending markers name, coalesced; the markers handled.

        Runs beside the batch writer (only the marker snapshot waits for a batch to finish)."""
        with self.lock.hold():
            with self._batch:
                markers = sorted(self.layout.pending.glob("[!.]*.json")) if self.layout.pending.is_dir() else []
                self._marked.clear()   # batches from now on write markers of their own
                self._markers.clear()
            if not markers:
                return 0
            recovery = self.store.recovery
            units: set[tuple[str, str]] = set()
            days: set[str] = set()
            for marker in markers:
                try:
                    data = json.loads(marker.read_text("utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    log.warning("unreadable pending marker %s (%s): repairing every rollup", marker, exc)
                    data = {"all_predictions": True, "all_outcomes": True}
                units |= recovery._marked_units(data)
                days |= recovery._marked_outcome_days(data)
            self.store.rollups.write(sorted(units), sorted(days))
            for marker in markers:
                marker.unlink(missing_ok=True)
            return len(markers)
