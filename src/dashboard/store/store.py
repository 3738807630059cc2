"""The store: immutable Parquet logs, rebuildable rollups, events and model files.

`Store` is a thin facade over the parts that each own one job (docs/ARCHITECTURE.md, "The
store"): `engine` (DuckDB), `tables` (rollups as tables for readers), `catalog` (log files),
`models` (cards, artifacts, bins, groups, the model cache), `events`, `writer` (logs in),
`recovery`, `rollups` (computing and writing rollups) and compaction. Writers serialize on a
lock file and publish every file by rename; readers never lock, and see new files on their next
query.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from dashboard.models.card import ModelCard
from dashboard.settings import store_path_text
from dashboard.store.catalog import LogCatalog
from dashboard.store.compaction import compact_partitions
from dashboard.store.engine import Engine
from dashboard.store.errors import StoreError
from dashboard.store.events import EventLog
from dashboard.store.files import exclusive_lock
from dashboard.store.layout import TABLE_KINDS, Layout
from dashboard.store.models import ModelRegistry
from dashboard.store.quarantine import (
    count_quarantined,
    quarantine_rows,
    quarantine_signature,
    quarantine_size,
)
from dashboard.store.recovery import Recovery
from dashboard.store.rollup_tables import RollupTables
from dashboard.store.rollups.compute import RollupComputer, RollupSource
from dashboard.store.rollups.writer import RebuildScope, RollupWriter
from dashboard.store.writer import LogWriter, WriteStats

Progress = Callable[[int, int], None]


def resolve_store_path(value: str | os.PathLike[str] | None = None) -> Path:
    """--store beats DASHBOARD_STORE beats the default var/store."""
    chosen = value or store_path_text()
    return Path(chosen).expanduser().resolve()


class Store:
    """All file and DuckDB access for one store folder."""

    def __init__(self, root: str | os.PathLike[str], create: bool = True) -> None:
        self.root = Path(root).resolve()
        self.layout = Layout(self.root)
        if create:
            for folder in (self.layout.predictions, self.layout.outcomes, self.layout.events,
                           self.layout.models, self.layout.rollups):
                folder.mkdir(parents=True, exist_ok=True)
        elif not self.root.is_dir():
            raise StoreError(f"no store at {self.root}; build one with `dashboard demo` or ingest logs")
        self.engine = Engine()
        self.tables = RollupTables(self.layout, self.engine)
        self.catalog = LogCatalog(self.layout)
        self.events = EventLog(self.layout)
        self.models = ModelRegistry(self.layout, self.events)
        self.rollups = RollupWriter(self.layout, self.catalog, RollupComputer(self.engine, self.catalog, self.models))
        self.recovery = Recovery(self.layout, self.catalog, self.rollups)
        self.writer = LogWriter(self.layout, self.engine, self.catalog, self.models, self.rollups, self.recovery)

    # ------------------------------------------------------------------ reading
    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read query on a private cursor (thread-safe) after refreshing the rollups it names."""
        return self.engine.read(lambda cur: cur.execute(query, list(params or [])).df(), self._loader(query))

    def arrow(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self.engine.read(lambda cur: cur.sql(query, params=list(params or [])).to_arrow_table(),
                                self._loader(query))

    def _loader(self, query: str) -> Callable[[], None]:
        # Load only the rollup tables this query names: Overview's first view then need not wait
        # for the large feature histograms.
        kinds = [k for k in TABLE_KINDS if re.search(rf"\br_{k}\b", query)]
        return lambda: self.tables.refresh(kinds)

    def refresh(self, kinds: Sequence[str] | None = None) -> None:
        self.tables.refresh(kinds)

    def read_rollup(self, kind: str, model_id: str | None = None) -> pd.DataFrame:
        """A whole rollup table (small by design) as pandas."""
        if kind not in TABLE_KINDS:
            raise StoreError(f"unknown rollup {kind!r}")
        if model_id is None:
            return self.sql(f"SELECT * FROM r_{kind}")
        return self.sql(f"SELECT * FROM r_{kind} WHERE model_id = ?", [model_id])

    def rollup_files_of_months(self, kind: str, months: Iterable[str]) -> list[Path]:
        return self.tables.files_of_months(kind, months)

    def version(self) -> str:
        """Changes whenever a rollup file, a card or an event figures depend on changes: a cache key."""
        return str(hash((*self.tables.signature(), *self.models.signature(), *self.events.signature())))

    # ------------------------------------------------------------------ log files
    def prediction_files(self, model_id: str | None = None, start: dt.date | str | None = None,
                         end: dt.date | str | None = None) -> list[Path]:
        return self.catalog.prediction_files(model_id, start, end)

    def outcome_files(self) -> list[Path]:
        return self.catalog.outcome_files()

    def predictions_source(self, files: Sequence[Path] | None = None) -> str | None:
        return self.catalog.predictions_source(files)

    def outcomes_source(self) -> str | None:
        return self.catalog.outcomes_source()

    # ------------------------------------------------------------------ models
    def list_cards(self) -> dict[str, ModelCard]:
        return self.models.list_cards()

    def load_card(self, model_id: str) -> ModelCard:
        return self.models.load_card(model_id)

    def read_artifact(self, model_id: str) -> bytes | None:
        return self.models.read_artifact(model_id)

    def load_model(self, model_id: str) -> Any | None:
        return self.models.load_model(model_id)

    def read_reference(self, model_id: str) -> pd.DataFrame | None:
        return self.models.read_reference(model_id)

    def feature_bins(self, model_id: str) -> dict[str, Any]:
        return self.models.feature_bins(model_id)

    def register_model(self, card: ModelCard, artifact: bytes | None = None, reference: pd.DataFrame | None = None,
                       actor: str = "cli", reference_source: str | None = None) -> list[str]:
        return self.models.register(card, artifact, reference, actor, reference_source)

    # ------------------------------------------------------------------ events and quarantine
    def append_event(self, kind: str, payload: dict[str, Any], actor: str = "system",
                     at: dt.datetime | None = None) -> dict[str, Any]:
        return self.events.append(kind, payload, actor, at)

    def read_events(self, kind: str, where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        return self.events.read(kind, where)

    def quarantine(self, source: str, rejected: pd.DataFrame, problems: list[str],
                   raw_file: Path | None = None) -> Path:
        return quarantine_rows(self.layout, source, rejected, problems, raw_file)

    def count_quarantined(self) -> int:
        return count_quarantined(self.layout)

    def quarantine_size(self) -> tuple[int, int]:
        """(ingests, rows) in quarantine."""
        return quarantine_size(self.layout)

    def quarantine_signature(self) -> int:
        return quarantine_signature(self.layout)

    # ------------------------------------------------------------------ writing
    def write_predictions(self, good: pd.DataFrame, progress: Progress | None = None) -> WriteStats:
        return self.writer.write_predictions(good, progress)

    def write_typed_predictions(self, table: pa.Table, progress: Progress | None = None) -> WriteStats:
        return self.writer.write_typed_predictions(table, progress)

    def write_outcomes(self, good: pd.DataFrame, progress: Progress | None = None) -> WriteStats:
        return self.writer.write_outcomes(good, progress)

    def rebuild_rollups(self, progress: Progress | None = None, source: RollupSource | None = None,
                        models: Collection[str] | None = None, first_month: str | None = None,
                        last_month: str | None = None) -> int:
        """Recompute the rollups of those models and whole months (default: all) from the logs
        with `source` (default: DuckDB; `dashboard.spark.SparkRollups` for Spark); returns the
        (model, month) partitions written."""
        with exclusive_lock(self.layout.lock):
            self.recovery.recover()
            shutil.rmtree(self.layout.id_index, ignore_errors=True)  # derived too: the next write rebuilds it
            return self.rollups.rebuild(progress, source, RebuildScope.of(models, first_month, last_month))

    def rollup_format_changes(self) -> list[str]:
        """What a rebuild changes beyond recomputing (the rollups are of an older format)."""
        return self.rollups.format_changes()

    def compact(self, min_files: int = 2, progress: Progress | None = None) -> dict[str, int]:
        """Merge each partition of many small files into one, swapping folders atomically."""
        with exclusive_lock(self.layout.lock):
            self.recovery.recover()
            return compact_partitions(self.layout, self.engine, min_files, progress)

    def rollup_format(self) -> int:
        return self.rollups.format()

    def rollups_outdated(self) -> str | None:
        return self.rollups.outdated()


_STORES: dict[Path, Store] = {}
_STORES_LOCK = threading.Lock()


def opened_stores() -> list[Store]:
    """The stores this process has opened (to forget their loaded models, say)."""
    with _STORES_LOCK:
        return list(_STORES.values())


def open_store(path: str | os.PathLike[str] | None = None, create: bool = True) -> Store:
    """One Store per folder per process."""
    root = resolve_store_path(path)
    with _STORES_LOCK:
        if root not in _STORES:
            _STORES[root] = Store(root, create=create)
        return _STORES[root]


__all__ = ["Store", "StoreError", "WriteStats", "open_store", "opened_stores", "resolve_store_path"]
