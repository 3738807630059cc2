"""The store: immutable Parquet logs, rebuildable rollups, events and model files.

One class owns all access. Writers serialize on a lock file and publish every file by
rename; readers never lock, and see new files on their next query.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.analytics.binning import (
    GROUP_SCORE_BINS,
    NULL_BIN,
    SCORE_BINS,
    assign_feature_bins,
    assign_feature_positions,
    compute_reference_bins,
    feature_cell_starts,
    feature_cells,
    latency_bin,
)
from dashboard.analytics.fairness import BANDS, MISSING_GROUP, GroupSpec, compute_group_spec
from dashboard.errors import DashboardError
from dashboard.models.artifact import load_model
from dashboard.models.card import CardError, ModelCard, dump_card_yaml, parse_card_yaml
from dashboard.settings import store_path_text
from dashboard.store.files import (
    exclusive_lock,
    write_bytes_atomic,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from dashboard.store.layout import (
    MONTH_KINDS,
    MONTH_ROLLUP_KEYS,
    OUTCOME_ROLLUP,
    ROLLUP_KINDS,
    TABLE_KINDS,
    Layout,
)

PART_GLOB = "part-*.parquet"  # data files; temporary files start with a dot and never match
NEW_PREFIX = ".new-"  # a data file written but not yet renamed into place
UNVERSIONED_EVENTS = frozenset({"audit"})
REFERENCE_ROWS = 50_000
LOAD_ATTEMPTS = 4  # rollup table loads racing a writer's rename
SHADOW_PER_DAY = 300  # applications per model and day kept for the paired shadow comparison
# What the rollup files hold; bumped when a change needs every rollup recomputed. Version 2:
# the money model's sums in `scores` and protected attributes grouped (numeric ones in bands);
# 3: positions and tail sub-bins in `features`, 200-per-decade `latency` bins.
ROLLUP_FORMAT = 3
GROUP_SPEC_ROWS = 200_000  # values read to fix an attribute's bands when it is first seen
Progress = Callable[[int, int], None]
RollupChunk = tuple[str, list[str], dict[str, pa.Table | None]]  # model, days, table per kind


class StoreError(DashboardError, RuntimeError):
    """A store operation that cannot go ahead; the message says why."""


def resolve_store_path(value: str | os.PathLike[str] | None = None) -> Path:
    """--store beats DASHBOARD_STORE beats the default var/store."""
    chosen = value or store_path_text()
    return Path(chosen).expanduser().resolve()


def quote(name: str) -> str:
    """A DuckDB identifier, quoted (feature names may hold spaces or quotes)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _month(day: dt.date | str) -> str:
    return str(day)[:7]


def _parquet_list(paths: Sequence[Path | str]) -> str:
    return "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"


@dataclass
class WriteStats:
    written: int = 0
    skipped_existing: int = 0
    files: int = 0
    partitions: list[tuple[str, str]] = field(default_factory=list)
    rollups_rebuilt: bool = False   # the store's rollups were of an older format and were rebuilt


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
        self._con = duckdb.connect(":memory:", config={"threads": str(min(4, os.cpu_count() or 2))})
        self._refresh_lock = threading.Lock()
        self._rollup_signature: dict[str, tuple[Any, ...]] = {}
        self._cards_cache: tuple[tuple[Any, ...], dict[str, ModelCard]] | None = None

    # ------------------------------------------------------------------ SQL access
    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read query on a private cursor (thread-safe) after refreshing rollups."""
        return self._read(query, lambda cur: cur.execute(query, list(params or [])).df())

    def arrow(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self._read(query, lambda cur: cur.sql(query, params=list(params or [])).to_arrow_table())

    def _read(self, query: str, run: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        # Load only the rollup tables this query names: Overview's first view then need not
        # wait for the large feature histograms.
        kinds = [k for k in TABLE_KINDS if re.search(rf"\br_{k}\b", query)]
        # Compaction swaps a partition folder while a query may be opening its old files, and a
        # writer may replace a rollup month file a query reads directly (window edges): the
        # paths then name the new files, so one retry is enough.
        for attempt in (1, 2):
            self.refresh(kinds)
            cur = self._con.cursor()
            try:
                return run(cur)
            except (duckdb.IOException, duckdb.InvalidInputException):
                if attempt == 2:
                    raise
                time.sleep(0.05)
            finally:
                cur.close()
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ rollup tables
    def _rollup_files(self, kind: str) -> list[Path]:
        base = self.layout.rollups / kind
        if not base.is_dir():
            return []
        # pathlib's glob matches dot files: skip the writers' .tmp-* files (half written).
        if kind == OUTCOME_ROLLUP:
            return sorted(p for p in base.glob("*.parquet") if not p.name.startswith("."))
        return sorted(p for p in base.glob("*/*.parquet") if not p.name.startswith("."))

    def refresh(self, kinds: Sequence[str] | None = None) -> None:
        """Reload rollup tables whose files changed (by name, time and size); register them as r_<kind>.

        `kinds` limits the work to those tables (default: all of them). DuckDB reads the
        files itself: three times faster than through pyarrow here, and no second copy in memory.
        """
        with self._refresh_lock:
            for kind in TABLE_KINDS if kinds is None else kinds:
                for attempt in range(1, LOAD_ATTEMPTS + 1):
                    stats = []
                    # A month-grain table also depends on its day files (see _load_rollup_table).
                    for p in self._rollup_files(kind) + (self._rollup_files(kind[:-6]) if kind in MONTH_KINDS else []):
                        with contextlib.suppress(FileNotFoundError):
                            st = p.stat()
                            stats.append((str(p), st.st_mtime_ns, st.st_size))
                    signature = tuple(stats)
                    if self._rollup_signature.get(kind) == signature and f"r_{kind}" in self._registered:
                        break
                    try:
                        self._load_rollup_table(kind, [s[0] for s in stats if kind not in MONTH_KINDS
                                                       or Path(s[0]).parent.parent.name == kind])
                    except duckdb.Error:
                        # A writer replaced or removed a month file between DuckDB reading its
                        # footer and its rows (the file is whole either way): list and read again.
                        if attempt == LOAD_ATTEMPTS:
                            raise
                        time.sleep(0.05 * attempt)
                        continue
                    self._registered.add(f"r_{kind}")
                    self._rollup_signature[kind] = signature
                    break

    def _load_rollup_table(self, kind: str, files: list[str]) -> None:
        # Real tables (not registered views) so that every cursor sees them.
        if kind in MONTH_KINDS:
            day_files = [str(p) for p in self._rollup_files(kind[:-6])]
            if {_month_key(f) for f in files} != {_month_key(f) for f in day_files}:
                # A store written before month files existed (or a writer between the two files):
                # sum the day files instead, never a stale or partial month table.
                if day_files:
                    self._con.execute(_month_table_sql(kind[:-6], day_files))
                    return
                files = []
        if files:
            self._con.execute(f"CREATE OR REPLACE TABLE r_{kind} AS "
                              f"SELECT * FROM read_parquet({_parquet_list(files)}, union_by_name=true)")
            return
        self._con.register("_rollup_in", _empty_rollup(kind))
        try:
            self._con.execute(f"CREATE OR REPLACE TABLE r_{kind} AS SELECT * FROM _rollup_in")
        finally:
            self._con.unregister("_rollup_in")

    def rollup_files_of_months(self, kind: str, months: Iterable[str]) -> list[Path]:
        """The day rollup's month files (every model) of those months (YYYY-MM)."""
        wanted = set(months)
        return [p for p in self._rollup_files(kind) if p.stem in wanted]

    @property
    def _registered(self) -> set[str]:
        if not hasattr(self, "_registered_names"):
            self._registered_names: set[str] = set()
        return self._registered_names

    def version(self) -> str:
        """Changes whenever any rollup file or model changes: a cache key for the UI."""
        parts = []
        for kind in (*ROLLUP_KINDS, OUTCOME_ROLLUP):
            for p in self._rollup_files(kind):
                with contextlib.suppress(FileNotFoundError):
                    st = p.stat()
                    parts.append(f"{p.name}:{st.st_mtime_ns}:{st.st_size}")
        for p in sorted(self.layout.models.glob("*/card.yaml")):
            with contextlib.suppress(FileNotFoundError):
                parts.append(f"{p.parent.name}:{p.stat().st_mtime_ns}")
        for p in sorted(self.layout.events.glob("*/*")):
            if p.parent.name in UNVERSIONED_EVENTS:
                continue  # an audit event per page view must not invalidate every cache
            with contextlib.suppress(FileNotFoundError):
                parts.append(f"{p}:{p.stat().st_mtime_ns}")
        return str(hash(tuple(parts)))

    # ------------------------------------------------------------------ raw log files
    def prediction_files(self, model_id: str | None = None, start: dt.date | str | None = None,
                         end: dt.date | str | None = None) -> list[Path]:
        """Parquet files of the prediction log, pruned by model and date partition."""
        base = self.layout.predictions
        model_dirs = ([self.layout.prediction_model_dir(model_id)] if model_id is not None
                      else sorted(base.glob("model_id=*")))
        lo, hi = (str(start)[:10] if start else None), (str(end)[:10] if end else None)
        out: list[Path] = []
        for mdir in model_dirs:
            if not mdir.is_dir():
                continue
            for ddir in sorted(mdir.glob("date=*")):
                day = ddir.name[5:]
                if (lo and day < lo) or (hi and day > hi):
                    continue
                out.extend(sorted(ddir.glob(PART_GLOB)))
        return out

    def outcome_files(self) -> list[Path]:
        return sorted(self.layout.outcomes.glob(f"date=*/{PART_GLOB}"))

    def predictions_source(self, files: Sequence[Path] | None = None) -> str | None:
        """A FROM clause over prediction files (None when there are none)."""
        files = self.prediction_files() if files is None else files
        if not files:
            return None
        return (f"read_parquet({_partition_globs(files)}, hive_partitioning=true, union_by_name=true, "
                "hive_types={'model_id': 'VARCHAR', 'date': 'DATE'})")

    def outcomes_source(self) -> str | None:
        files = self.outcome_files()
        if not files:
            return None
        return (f"read_parquet({_partition_globs(files)}, hive_partitioning=true, union_by_name=true, "
                "hive_types={'date': 'DATE'})")

    # ------------------------------------------------------------------ models
    def _card_signature(self) -> tuple[Any, ...]:
        sig = []
        for p in sorted(self.layout.models.glob("*/card.yaml")):
            with contextlib.suppress(FileNotFoundError):
                sig.append((str(p), p.stat().st_mtime_ns))
        return tuple(sig)

    def list_cards(self) -> dict[str, ModelCard]:
        """Registered model cards by id (cached until a card file changes)."""
        sig = self._card_signature()
        if self._cards_cache and self._cards_cache[0] == sig:
            return dict(self._cards_cache[1])
        cards: dict[str, ModelCard] = {}
        for path_text, _ in sig:
            path = Path(path_text)
            try:
                cards[path.parent.name] = parse_card_yaml(path.read_text("utf-8"), str(path))
            except (CardError, OSError):
                continue  # a broken card on disk must not take the app down
        self._cards_cache = (sig, cards)
        return dict(cards)

    def load_card(self, model_id: str) -> ModelCard:
        cards = self.list_cards()
        if model_id not in cards:
            known = ", ".join(sorted(cards)) or "none"
            raise StoreError(f"model {model_id!r} is not registered (registered: {known})")
        return cards[model_id]

    def read_artifact(self, model_id: str) -> bytes | None:
        path = self.layout.model_dir(model_id) / "model.skops"
        return path.read_bytes() if path.exists() else None

    def read_reference(self, model_id: str) -> pd.DataFrame | None:
        path = self.layout.model_dir(model_id) / "reference.parquet"
        return pq.read_table(path).to_pandas() if path.exists() else None

    def feature_bins(self, model_id: str) -> dict[str, Any]:
        path = self.layout.model_dir(model_id) / "bins.json"
        if not path.exists():
            return {}
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data

    def register_model(self, card: ModelCard, artifact: bytes | None = None,
                       reference: pd.DataFrame | None = None, actor: str = "cli",
                       reference_source: str | None = None) -> list[str]:
        """Store a card (and optionally its skops artifact and reference data).

        Returns notes for the user. Feature bins are fixed at the first registration with
        reference data, so rollups stay comparable across re-registrations. What the reference
        data is (`reference_source`, its file name; its rows and own dates) goes to
        reference.json, so drift can say what it compares with.
        """
        # Imported here: analytics.drift loads scipy, which the store's other users need not wait for.
        from dashboard.analytics.drift import describe_reference_data

        notes: list[str] = []
        if artifact is not None:
            load_model(artifact)  # refuse a non-skops or untrusted file before writing anything
        mdir = self.layout.model_dir(card.id)
        with exclusive_lock(self.layout.lock):
            existed = (mdir / "card.yaml").exists()
            write_text_atomic(mdir / "card.yaml", dump_card_yaml(card))
            if artifact is not None:
                write_bytes_atomic(mdir / "model.skops", artifact)
            if reference is not None and not reference.empty:
                ref = reference.sample(n=min(len(reference), REFERENCE_ROWS), random_state=0) \
                    if len(reference) > REFERENCE_ROWS else reference
                write_parquet_atomic(mdir / "reference.parquet", pa.Table.from_pandas(ref, preserve_index=False))
                about = {"source": reference_source, **describe_reference_data(reference), "stored_rows": len(ref),
                         "registered_on": dt.datetime.now(dt.UTC).date().isoformat()}
                write_json_atomic(mdir / "reference.json", about)
                if not (mdir / "bins.json").exists():
                    write_json_atomic(mdir / "bins.json", compute_reference_bins(reference, card))
                else:
                    notes.append("kept the existing feature bins so rollups stay comparable")
            notes += self._register_group_specs(card, reference)
        self._cards_cache = None
        self.append_event("registration", {"model_id": card.id, "version": card.version,
                                           "role": card.role, "replaced": existed}, actor=actor)
        notes.insert(0, f"{'updated' if existed else 'registered'} model {card.id} ({card.name} v{card.version})")
        return notes

    # ------------------------------------------------------------------ protected groups
    def group_specs(self, model_id: str) -> dict[str, GroupSpec]:
        """How each protected attribute of the model is grouped (fixed when first seen)."""
        path = self.layout.model_dir(model_id) / "groups.json"
        if not path.exists():
            return {}
        data = json.loads(path.read_text("utf-8"))
        return {name: GroupSpec.from_dict(name, spec) for name, spec in data.items()}

    def _write_group_specs(self, model_id: str, specs: dict[str, GroupSpec]) -> None:
        write_json_atomic(self.layout.model_dir(model_id) / "groups.json",
                          {name: spec.to_dict() for name, spec in sorted(specs.items())})

    def _register_group_specs(self, card: ModelCard, reference: pd.DataFrame | None) -> list[str]:
        """Bands declared in the card win; otherwise fix undeclared attributes from the reference."""
        specs = self.group_specs(card.id)
        changed = False
        notes = []
        for name in card.protected_attributes:
            declared = card.protected_bands.get(name)
            if declared:
                spec = compute_group_spec(name, None, declared)
                if name in specs and specs[name] != spec:
                    notes.append(f"the bands of {name} changed: run `dashboard rollup rebuild` to regroup "
                                 "the history")
            elif name in specs:
                continue
            elif reference is not None and name in reference.columns:
                spec = compute_group_spec(name, reference[name])
            else:
                continue  # fixed from the first logs that carry it
            if specs.get(name) != spec:
                specs[name] = spec
                changed = True
        if changed:
            self._write_group_specs(card.id, specs)
        return notes

    def _group_specs(self, model_id: str, source: str, present: Sequence[str],
                     cur: duckdb.DuckDBPyConnection) -> dict[str, GroupSpec]:
        """The grouping of each present protected attribute; one first seen is fixed from `source`."""
        card = self.load_card(model_id)
        specs = self.group_specs(model_id)
        missing = [p for p in present if p not in specs]
        for name in missing:
            declared = card.protected_bands.get(name)
            values = None if declared else cur.sql(
                f"SELECT CAST({quote(name)} AS VARCHAR) AS v FROM {source} LIMIT {GROUP_SPEC_ROWS}").df()["v"]
            specs[name] = compute_group_spec(name, values, declared)
        if missing:
            self._write_group_specs(model_id, specs)
        return specs

    def _ensure_bins(self, model_id: str, batch: pa.Table) -> dict[str, Any]:
        """Bins fixed from the reference data, or else from the model's rows in the first batch seen."""
        bins = self.feature_bins(model_id)
        card = self.load_card(model_id)
        missing = [f.name for f in card.features if f.name not in bins]
        if missing:
            rows = batch.filter(pc.equal(batch.column("model_id"), model_id))
            extra = compute_reference_bins(rows.select([c for c in missing if c in rows.column_names]).to_pandas(),
                                           card)
            bins.update({k: v for k, v in extra.items() if k in missing})
            write_json_atomic(self.layout.model_dir(model_id) / "bins.json", bins)
        return bins

    # ------------------------------------------------------------------ events
    def append_event(self, kind: str, payload: dict[str, Any], actor: str = "system",
                     at: dt.datetime | None = None) -> dict[str, Any]:
        """Write one immutable event file; unique names mean writers never collide."""
        when = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        event = {"id": uuid.uuid4().hex, "kind": kind, "at": when.isoformat(timespec="microseconds"),
                 "actor": actor, **payload}
        folder = self.layout.event_dir(kind) / when.strftime("%Y-%m-%d")
        name = f"{when.strftime('%Y%m%dT%H%M%S%f')}-{event['id']}.json"
        write_json_atomic(folder / name, event)
        return event

    def read_events(self, kind: str, where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        """Events of one kind, oldest first."""
        folder = self.layout.event_dir(kind)
        events = []
        for path in sorted(folder.glob("*/*.json")):
            try:
                event = json.loads(path.read_text("utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if where is None or where(event):
                events.append(event)
        events.sort(key=lambda e: (e.get("at", ""), e.get("id", "")))
        return events

    # ------------------------------------------------------------------ quarantine
    def quarantine(self, source: str, rejected: pd.DataFrame, problems: list[str],
                   raw_file: Path | None = None) -> Path:
        """Keep rejected rows (as text) and the reasons; returns the quarantine folder."""
        ingest_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        folder = self.layout.quarantine / ingest_id
        folder.mkdir(parents=True, exist_ok=True)
        if not rejected.empty:
            table = pa.Table.from_pandas(rejected.astype(str), preserve_index=False)
            write_parquet_atomic(folder / "rows.parquet", table)
        if raw_file is not None and raw_file.exists() and raw_file.is_file():
            safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in raw_file.name)
            shutil.copyfile(raw_file, folder / f"original-{safe_name}")
        write_json_atomic(folder / "errors.json", {"source": source, "rows": int(len(rejected)),
                                                   "problems": problems})
        return folder

    # ------------------------------------------------------------------ writes
    def write_predictions(self, good: pd.DataFrame, progress: Progress | None = None) -> WriteStats:
        """Store validated prediction rows; ids already stored are skipped."""
        if good.empty:
            return WriteStats()
        models = sorted(good["model_id"].unique())
        frames = [self._typed_predictions(m, good[good["model_id"] == m]) for m in models]
        return self.write_typed_predictions(pa.concat_tables(frames, promote_options="default"), progress)

    def write_typed_predictions(self, table: pa.Table, progress: Progress | None = None) -> WriteStats:
        """Store prediction rows already typed as the store keeps them (`_typed_predictions`,
        or the Arrow fast path of ingest); ids already stored are skipped."""
        stats = WriteStats()
        if table.num_rows == 0:
            return stats
        with exclusive_lock(self.layout.lock):
            self._recover()
            stats.rollups_rebuilt = self._upgrade_rollups(progress)
            models = sorted(pc.unique(table.column("model_id")).to_pylist())
            existing = self._existing_prediction_ids(models, table.column("prediction_id"))
            if existing:
                known = pc.is_in(table.column("prediction_id"), value_set=pa.array(sorted(existing), pa.string()))
                stats.skipped_existing = int(pc.sum(known).as_py() or 0)
                table = table.filter(pc.invert(known))
            if table.num_rows == 0:
                return stats
            for model_id in models:
                self._ensure_bins(model_id, table)
            # Partitions with no files yet get their rollups from the batch in memory:
            # nothing to reread from disk.
            units = _batch_partitions(table)
            fresh = {(m, d) for m, d in units
                     if not any((self.layout.prediction_model_dir(m) / f"date={d}").glob(PART_GLOB))}
            computed = None
            if fresh == set(units):
                # Every day is new, so the rollups need only the batch: compute them while the
                # files are written (they are stored after the files, as always).
                with ThreadPoolExecutor(max_workers=1) as pool:
                    computing = pool.submit(lambda: list(self._iter_rollups(_rollup_chunks(units), table, fresh)))
                    partitions = self._publish(table, self.layout.predictions, ("model_id", "date"), stats)
                    computed = computing.result()
            else:
                partitions = self._publish(table, self.layout.predictions, ("model_id", "date"), stats)
            units = [(m, d) for m, d in partitions]
            self._update_rollups(units, [], progress, batch=table, fresh=fresh, computed=computed)
            stats.written = table.num_rows
            stats.partitions = sorted({(m, _month(d)) for m, d in partitions})
        return stats

    def _typed_predictions(self, model_id: str, part: pd.DataFrame) -> pa.Table:
        card = self.load_card(model_id)
        cols: dict[str, Any] = {
            "prediction_id": pa.array(part["prediction_id"].astype(str), pa.string()),
            "model_id": pa.array(part["model_id"].astype(str), pa.string()),
            "timestamp": pa.array(part["timestamp"].astype("datetime64[us]"), pa.timestamp("us")),
            "application_id": pa.array(part["application_id"].astype(str), pa.string()),
            "score": pa.array(part["score"].astype(float), pa.float64()),
            "decision": pa.array(part["decision"].astype(object).where(part["decision"].notna(), None), pa.string()),
            "latency_ms": pa.array(part["latency_ms"].astype(float), pa.float64(), from_pandas=True),
        }
        for spec in card.features:
            series = part[spec.name]
            if spec.type == "numeric":
                cols[spec.name] = pa.array(series.astype(float), pa.float64(), from_pandas=True)
            else:
                cols[spec.name] = _string_array(series)
        for name in (*card.protected_attributes, *card.personal_columns):
            if name in part.columns and name not in cols:
                cols[name] = _string_array(part[name])
        table = pa.table(cols)
        dates = pa.array(part["timestamp"].dt.strftime("%Y-%m-%d"), pa.string())
        return table.append_column("date", dates)

    def write_outcomes(self, good: pd.DataFrame, progress: Progress | None = None) -> WriteStats:
        """Store validated outcomes; (application_id, outcome_timestamp) already stored is skipped."""
        stats = WriteStats()
        if good.empty:
            return stats
        with exclusive_lock(self.layout.lock):
            self._recover()
            stats.rollups_rebuilt = self._upgrade_rollups(progress)
            good = self._drop_existing_outcomes(good, stats)
            if good.empty:
                return stats
            table = pa.table({
                "application_id": pa.array(good["application_id"].astype(str), pa.string()),
                "outcome_timestamp": pa.array(good["outcome_timestamp"].astype("datetime64[us]"), pa.timestamp("us")),
                "label": pa.array(good["label"].astype("int8"), pa.int8()),
                "loan_amount": pa.array(good["loan_amount"].astype(float), pa.float64(), from_pandas=True),
                "loss_amount": pa.array(good["loss_amount"].astype(float), pa.float64(), from_pandas=True),
                "date": pa.array(good["outcome_timestamp"].dt.strftime("%Y-%m-%d"), pa.string()),
            })
            self._publish(table, self.layout.outcomes, ("date",), stats)
            affected = self._prediction_dates_for(table.column("application_id"))
            outcome_dates = sorted(set(table.column("date").to_pylist()))
            self._update_rollups(affected, outcome_dates, progress)
            stats.written = table.num_rows
            stats.partitions = sorted({(m, _month(d)) for m, d in affected})
        return stats

    def _existing_prediction_ids(self, models: Iterable[str], ids: pa.ChunkedArray) -> set[str]:
        files = [f for m in models for f in self.prediction_files(model_id=m)]
        if not files:
            return set()
        cur = self._con.cursor()
        try:
            cur.register("batch_ids", pa.table({"prediction_id": ids}))
            rows = cur.execute(
                f"SELECT DISTINCT p.prediction_id FROM read_parquet({_parquet_list(files)}) p "
                "SEMI JOIN batch_ids b ON p.prediction_id = b.prediction_id").fetchall()
        finally:
            cur.close()
        return {r[0] for r in rows}

    def _drop_existing_outcomes(self, good: pd.DataFrame, stats: WriteStats) -> pd.DataFrame:
        files = self.outcome_files()
        if not files:
            return good
        cur = self._con.cursor()
        try:
            batch = pa.table({"application_id": pa.array(good["application_id"].astype(str)),
                              "outcome_timestamp": pa.array(good["outcome_timestamp"].astype("datetime64[us]"),
                                                            pa.timestamp("us"))})
            cur.register("batch_keys", batch)
            rows = cur.execute(
                f"SELECT DISTINCT o.application_id, o.outcome_timestamp FROM read_parquet({_parquet_list(files)}) o "
                "SEMI JOIN batch_keys b ON o.application_id = b.application_id "
                "AND o.outcome_timestamp = b.outcome_timestamp").fetchall()
        finally:
            cur.close()
        if not rows:
            return good
        seen = {(a, pd.Timestamp(t)) for a, t in rows}
        keys = zip(good["application_id"].astype(str), good["outcome_timestamp"], strict=True)
        keep = np.array([(a, pd.Timestamp(t)) not in seen for a, t in keys])
        stats.skipped_existing = int((~keep).sum())
        return good[keep]

    def _prediction_dates_for(self, application_ids: pa.ChunkedArray | pa.Array) -> list[tuple[str, str]]:
        """The (model, date) partitions holding predictions for these applications."""
        source = self.predictions_source()
        if source is None:
            return []
        cur = self._con.cursor()
        try:
            cur.register("batch_apps", pa.table({"application_id": application_ids}))
            rows = cur.execute(
                f"SELECT DISTINCT model_id, strftime(date, '%Y-%m-%d') FROM {source} p "
                "SEMI JOIN batch_apps b ON p.application_id = b.application_id").fetchall()
        finally:
            cur.close()
        return sorted((str(m), str(d)) for m, d in rows)

    def _publish(self, table: pa.Table, base: Path, partition_by: tuple[str, ...],
                 stats: WriteStats) -> list[tuple[str, ...]]:
        """Write one file per partition under a dot name in its folder, then rename it into place.

        A pending marker names the partitions first, so a writer killed midway leaves rollups
        and dot files that the next writer repairs and removes. Readers only see `part-*`.
        """
        slices = _partition_slices(table, partition_by)
        partitions = {values for values, _ in slices}
        marker = self._write_pending(base, partitions)
        self._pending_marker: Path | None = marker

        def write_one(item: tuple[tuple[str, ...], pa.Table]) -> tuple[Path, Path]:
            values, part = item
            folder = base.joinpath(*[f"{c}={v}" for c, v in zip(partition_by, values, strict=True)])
            folder.mkdir(parents=True, exist_ok=True)
            name = f"part-{uuid.uuid4().hex}.parquet"
            pq.write_table(part, folder / f"{NEW_PREFIX}{name}", compression="zstd")
            return folder / f"{NEW_PREFIX}{name}", folder / name

        # A few threads: zstd and the file system overlap; about twice DuckDB's partitioned
        # COPY when a batch spans hundreds of days.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
            written = list(pool.map(write_one, slices))
        for src, dst in written:
            os.replace(src, dst)
            stats.files += 1
        return sorted(partitions)

    def _write_pending(self, base: Path, partitions: set[tuple[str, ...]]) -> Path:
        payload: dict[str, Any]
        if base == self.layout.predictions:
            payload = {"predictions": sorted(partitions), "outcomes": []}
        else:
            payload = {"predictions": [], "outcomes": sorted(p[0] for p in partitions), "all_predictions": True}
        marker = self.layout.pending / f"{uuid.uuid4().hex}.json"
        write_json_atomic(marker, payload)
        return marker

    def _recover(self) -> None:
        """Bring rollups up to date after a writer that died; drop its staging files."""
        shutil.rmtree(self.layout.staging, ignore_errors=True)
        markers = sorted(self.layout.pending.glob("*.json")) if self.layout.pending.is_dir() else []
        if not markers:
            return
        units: set[tuple[str, str]] = set()
        outcome_days: set[str] = set()
        for marker in markers:
            try:
                data = json.loads(marker.read_text("utf-8"))
            except (OSError, json.JSONDecodeError):
                data = {"all_predictions": True, "all_outcomes": True}
            folders = [self.layout.prediction_model_dir(m) / f"date={d}" for m, d in data.get("predictions", [])]
            folders += [self.layout.outcomes / f"date={d}" for d in data.get("outcomes", [])]
            for folder in folders:  # files the dead writer had not renamed yet
                for leftover in folder.glob(f"{NEW_PREFIX}*"):
                    leftover.unlink(missing_ok=True)
            # Markers name dates; older ones named months: a month stands for its dates.
            for model_id, day in data.get("predictions", []):
                units |= ({(model_id, day)} if len(day) == 10 else
                          {u for u in self._all_prediction_dates() if u[0] == model_id and u[1][:7] == day})
            for day in data.get("outcomes", []):
                outcome_days |= {day} if len(day) == 10 else {d for d in self._all_outcome_dates() if d[:7] == day}
            if data.get("all_predictions"):
                units |= set(self._all_prediction_dates())
            if data.get("all_outcomes"):
                outcome_days |= set(self._all_outcome_dates())
        self._write_rollups(sorted(units), sorted(outcome_days))
        for marker in markers:
            marker.unlink(missing_ok=True)

    def _update_rollups(self, units: Sequence[tuple[str, str]], outcome_dates: Sequence[str],
                        progress: Progress | None, batch: pa.Table | None = None,
                        fresh: set[tuple[str, str]] | None = None,
                        computed: Sequence[RollupChunk] | None = None) -> None:
        self._write_rollups(units, outcome_dates, progress, batch=batch, fresh=fresh, computed=computed)
        marker = getattr(self, "_pending_marker", None)
        if marker is not None:
            marker.unlink(missing_ok=True)
            self._pending_marker = None

    # ------------------------------------------------------------------ compaction
    def compact(self, min_files: int = 2, progress: Progress | None = None) -> dict[str, int]:
        """Merge each partition of many small files into one, swapping folders atomically.

        Readers list a partition either before or after the swap, never half of each, so
        they never see rows missing or doubled. Rollups do not change: the rows are the same.
        """
        merged = files_before = 0
        with exclusive_lock(self.layout.lock):
            self._recover()
            folders = [d for d in [*self.layout.predictions.glob("model_id=*/date=*"),
                                   *self.layout.outcomes.glob("date=*")]
                       if d.is_dir() and len(list(d.glob(PART_GLOB))) >= min_files]
            for i, folder in enumerate(sorted(folders)):
                files = sorted(folder.glob(PART_GLOB))
                fresh = folder.parent / f".compact-{uuid.uuid4().hex}"
                fresh.mkdir()
                target = fresh / f"part-{uuid.uuid4().hex}.parquet"
                cur = self._con.cursor()
                try:
                    listed = _parquet_list(files)
                    expected = cur.execute(f"SELECT count(*) FROM read_parquet({listed}, union_by_name=true)"
                                           ).fetchone()
                    cur.execute(f"COPY (SELECT * FROM read_parquet({listed}, union_by_name=true)) "
                                f"TO {sql_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)")
                    written = cur.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(target))})"
                                          ).fetchone()
                finally:
                    cur.close()
                if expected != written:
                    shutil.rmtree(fresh, ignore_errors=True)
                    raise StoreError(f"compaction of {folder} wrote {written} rows, expected {expected}")
                _exchange(folder, fresh)
                shutil.rmtree(fresh, ignore_errors=True)  # now the old files
                merged += 1
                files_before += len(files)
                if progress:
                    progress(i + 1, len(folders))
        return {"partitions": merged, "files_before": files_before, "files_after": merged}

    # ------------------------------------------------------------------ rollups
    def _all_prediction_dates(self) -> list[tuple[str, str]]:
        units = set()
        for mdir in self.layout.predictions.glob("model_id=*"):
            for ddir in mdir.glob("date=*"):
                if any(ddir.glob(PART_GLOB)):
                    units.add((mdir.name[len("model_id="):], ddir.name[5:]))
        return sorted(units)

    def _all_outcome_dates(self) -> list[str]:
        return sorted({d.name[5:] for d in self.layout.outcomes.glob("date=*") if any(d.glob(PART_GLOB))})

    # ------------------------------------------------------------------ rollup format
    def rollup_format(self) -> int:
        """The format the rollup files were written in (1: before the format was recorded)."""
        path = self.layout.rollup_format
        if path.exists():
            try:
                return int(json.loads(path.read_text("utf-8")).get("version", 1))
            except (OSError, ValueError, AttributeError):
                return 1
        has_rollups = any(self._rollup_files(k) for k in (*ROLLUP_KINDS, OUTCOME_ROLLUP))
        return 1 if has_rollups else ROLLUP_FORMAT

    def rollups_outdated(self) -> str | None:
        """A message when the rollups were written by an older version (figures may be wrong)."""
        found = self.rollup_format()
        if found >= ROLLUP_FORMAT:
            return None
        return (f"The rollups of {self.root} were written by an older version (format {found}, now "
                f"{ROLLUP_FORMAT}): money and fairness figures may be wrong until you run "
                "`dashboard rollup rebuild` (the next ingest does it too).")

    def _upgrade_rollups(self, progress: Progress | None = None) -> bool:
        """Under the writer lock: rebuild rollups of an older format; True when it did."""
        if self.rollup_format() >= ROLLUP_FORMAT:
            if not self.layout.rollup_format.exists():
                write_json_atomic(self.layout.rollup_format, {"version": ROLLUP_FORMAT})
            return False
        self._rebuild_locked(progress)
        return True

    def rebuild_rollups(self, progress: Progress | None = None) -> int:
        """Recompute every rollup from the logs; returns the number of (model, month) partitions."""
        with exclusive_lock(self.layout.lock):
            self._recover()
            return self._rebuild_locked(progress)

    def _rebuild_locked(self, progress: Progress | None = None) -> int:
        units = self._all_prediction_dates()
        outcome_dates = self._all_outcome_dates()
        self._write_rollups(units, outcome_dates, progress, whole_months=True)
        months = {(m, _month(d)) for m, d in units}
        outcome_months = {_month(d) for d in outcome_dates}
        keep = {str(self.layout.rollup_file(k, m, mo)) for k in (*ROLLUP_KINDS, *MONTH_KINDS) for m, mo in months}
        keep |= {str(self.layout.outcome_rollup_file(mo)) for mo in outcome_months}
        for kind in TABLE_KINDS:
            for path in self._rollup_files(kind):
                if str(path) not in keep:
                    path.unlink(missing_ok=True)
        write_json_atomic(self.layout.rollup_format, {"version": ROLLUP_FORMAT})
        return len(months) + len(outcome_months)

    def _write_rollups(self, units: Sequence[tuple[str, str]], outcome_dates: Sequence[str],
                       progress: Progress | None = None, batch: pa.Table | None = None,
                       fresh: set[tuple[str, str]] | None = None, whole_months: bool = False,
                       computed: Sequence[RollupChunk] | None = None) -> None:
        """Recompute the rollups of the named (model, date) partitions and outcome dates.

        Only those dates are computed; their rows replace the same dates' rows in each month
        file, so a daily batch costs a day, not a month. `fresh` partitions (no files before
        this batch) are computed from `batch` in memory. `whole_months` (rebuild) writes every
        month from scratch, a month at a time to bound memory. `computed`: chunks already
        computed (while the batch's files were being written).
        """
        chunks = _rollup_chunks(units, whole_months)
        total = len(chunks) + (1 if outcome_dates else 0)
        results = computed if computed is not None else self._iter_rollups(chunks, batch, fresh)
        for done, (model_id, days, tables) in enumerate(results, start=1):
            for kind, table in tables.items():
                on_month = partial(self._write_month_grain, kind, model_id) if kind in MONTH_ROLLUP_KEYS else None
                _merge_into_months(table, days, partial(self.layout.rollup_file, kind, model_id), whole_months,
                                   on_month)
            if progress:
                progress(done, total)
        if outcome_dates:
            out_days = sorted(set(outcome_dates))
            _merge_into_months(self._compute_outcome_rollup(out_days), out_days, self.layout.outcome_rollup_file,
                               whole_months)
            if progress:
                progress(total, total)

    def _write_month_grain(self, kind: str, model_id: str, month: str, table: pa.Table | None) -> None:
        """The <kind>_month file of one model and month, from that month's day rows (None: none left)."""
        path = self.layout.rollup_file(f"{kind}_month", model_id, month)
        if table is None:
            path.unlink(missing_ok=True)
        else:
            write_parquet_atomic(path, compute_month_grain(kind, table, month))

    def _iter_rollups(self, chunks: Sequence[tuple[str, list[str]]], batch: pa.Table | None = None,
                      fresh: set[tuple[str, str]] | None = None) -> Iterator[RollupChunk]:
        """Each chunk's rollup tables, computed one chunk at a time."""
        outcomes = self.outcomes_source()
        models = {m for m, _ in chunks}
        for model_id, days in chunks:
            rows = None
            fresh_days = sorted(d for d in days if fresh and (model_id, d) in fresh)
            if batch is not None and fresh_days:
                rows = batch
                if len(models) > 1 or len(fresh_days) < len(days):  # the usual batch: one model, new days
                    rows = batch.filter(pc.and_(pc.equal(batch.column("model_id"), model_id),
                                                pc.is_in(batch.column("date"), pa.array(fresh_days))))
            yield model_id, days, self._compute_rollups(model_id, days, outcomes, rows, set(fresh_days))

    def _compute_rollups(self, model_id: str, days: Sequence[str], outcomes: str | None,
                         rows: pa.Table | None = None, fresh_days: set[str] | None = None
                         ) -> dict[str, pa.Table | None]:
        """Rollups of one model's predictions on `days`: `rows` (in memory) for `fresh_days`,
        the files of the other days."""
        mdir = self.layout.prediction_model_dir(model_id)
        files = [f for d in days if d not in (fresh_days or set()) for f in sorted((mdir / f"date={d}").glob(PART_GLOB))]
        parts = [f"SELECT * FROM {self.predictions_source(files)}"] if files else []
        if rows is not None and rows.num_rows:
            parts.append("SELECT * FROM fresh_rows")
        if not parts:
            return dict.fromkeys(ROLLUP_KINDS)
        source = "(" + " UNION ALL BY NAME ".join(parts) + ")"
        card = self.load_card(model_id)
        bins = self.feature_bins(model_id)
        protected = list(card.protected_attributes)
        # Only the batch in memory: features and latency are binned straight from it.
        in_memory = None
        cur = self._con.cursor()
        try:
            if rows is not None and rows.num_rows:
                typed = rows.set_column(rows.schema.get_field_index("date"), "date",
                                        pc.cast(rows.column("date"), pa.date32()))
                cur.register("fresh_rows", typed)
                in_memory = typed if not files else None
            present = {r[0] for r in cur.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
            prot = [p for p in protected if p in present]
            specs = self._group_specs(model_id, source, prot, cur)
            prot_cols = "".join(f", {_group_sql(p, specs[p])} AS {quote('g_' + p)}" for p in prot)
            join = ""
            label_cols = "NULL::INTEGER AS label, NULL::DOUBLE AS amount, NULL::DOUBLE AS loss"
            if outcomes:
                join = (f"LEFT JOIN (SELECT application_id, arg_max(label, outcome_timestamp) AS label, "
                        f"arg_max(loan_amount, outcome_timestamp) AS amount, "
                        f"arg_max(loss_amount, outcome_timestamp) AS loss FROM {outcomes} "
                        f"WHERE application_id IN (SELECT application_id FROM {source}) GROUP BY 1) o "
                        "USING (application_id)")
                label_cols = "o.label, o.amount, o.loss"
            cur.execute(f"""
                CREATE TEMP TABLE j AS
                SELECT p.application_id, p.timestamp, p.date, p.score,
                       coalesce(p.decision, 'none') AS decision, p.latency_ms {prot_cols},
                       least(floor(p.score * {SCORE_BINS}), {SCORE_BINS - 1})::SMALLINT AS bin,
                       least(floor(p.score * {GROUP_SCORE_BINS}), {GROUP_SCORE_BINS - 1})::SMALLINT AS gbin,
                       {label_cols}
                FROM {source} p {join}""")
            mid = sql_literal(model_id)
            cents = "CAST(round(coalesce({c}, 0) * 100) AS BIGINT)"
            daily = cur.sql(f"""
                SELECT {mid} AS model_id, date, count(*)::BIGINT AS n,
                  count(*) FILTER (decision = 'approve')::BIGINT AS n_approve,
                  count(*) FILTER (decision = 'decline')::BIGINT AS n_decline,
                  count(*) FILTER (decision = 'review')::BIGINT AS n_review,
                  count(*) FILTER (decision = 'none')::BIGINT AS n_undecided,
                  sum(CAST(round(score * 1e6) AS BIGINT))::BIGINT AS score_micro_sum,
                  count(label)::BIGINT AS n_labelled,
                  coalesce(sum(label), 0)::BIGINT AS n_bad,
                  count(label) FILTER (decision = 'approve')::BIGINT AS n_labelled_approved,
                  coalesce(sum(label) FILTER (decision = 'approve'), 0)::BIGINT AS n_bad_approved,
                  sum({cents.format(c='amount')}) FILTER (label IS NOT NULL)::BIGINT AS amount_cents_labelled,
                  sum({cents.format(c='loss')}) FILTER (label IS NOT NULL)::BIGINT AS loss_cents,
                  count(latency_ms)::BIGINT AS n_latency,
                  min(timestamp) AS first_ts, max(timestamp) AS last_ts
                FROM j GROUP BY date ORDER BY date""").to_arrow_table()
            # The money model's sums (analytics/money.py): observed amounts and losses, and how
            # many matured loans lack them (those take the assumptions when a figure is computed).
            zsum = "coalesce(sum({e}) FILTER ({f}), 0)::BIGINT"
            scores = cur.sql(f"""
                SELECT {mid} AS model_id, date, decision, bin, count(*)::BIGINT AS n,
                  count(label)::BIGINT AS n_labelled, coalesce(sum(label), 0)::BIGINT AS n_bad,
                  {zsum.format(e=cents.format(c='amount'), f='label IS NOT NULL')} AS amount_cents,
                  count(amount) FILTER (label IS NOT NULL)::BIGINT AS n_amount,
                  {zsum.format(e=cents.format(c='amount'), f='label = 0')} AS good_amount_cents,
                  count(amount) FILTER (label = 0)::BIGINT AS n_good_amount,
                  {zsum.format(e=cents.format(c='loss'), f='label IS NOT NULL')} AS loss_cents,
                  count(loss) FILTER (label = 1)::BIGINT AS n_bad_loss,
                  {zsum.format(e=cents.format(c='amount'), f='label = 1 AND loss IS NULL')} AS bad_noloss_amount_cents,
                  count(amount) FILTER (label = 1 AND loss IS NULL)::BIGINT AS n_bad_noloss_amount
                FROM j GROUP BY date, decision, bin ORDER BY date, decision, bin""").to_arrow_table()
            groups = None
            if prot:
                union = " UNION ALL ".join(
                    f"SELECT {mid} AS model_id, date, {sql_literal(p)} AS attribute, "
                    f"{quote('g_' + p)} AS grp, decision, gbin AS bin, "
                    "count(*)::BIGINT AS n, count(label)::BIGINT AS n_labelled, "
                    "coalesce(sum(label), 0)::BIGINT AS n_bad FROM j GROUP BY ALL" for p in prot)
                groups = cur.sql(f"SELECT * FROM ({union}) ORDER BY date, attribute, grp, decision, bin").to_arrow_table()
            g_cols = "".join(f", {quote('g_' + p)}" for p in prot)
            # A bounded, paired sample for the shadow comparison: the same hash ranks the same
            # applications first for every model, so the models' daily samples line up.
            shadow = cur.sql(f"""
                SELECT {mid} AS model_id, date, application_id, timestamp, score, decision,
                       label::INTEGER AS label, amount AS loan_amount, loss AS loss_amount {g_cols}
                FROM (SELECT * FROM j QUALIFY dense_rank() OVER (
                        PARTITION BY date ORDER BY hash(application_id), application_id) <= {SHADOW_PER_DAY})
                QUALIFY row_number() OVER (PARTITION BY date, application_id ORDER BY timestamp DESC, score DESC) = 1
                ORDER BY date, application_id""").to_arrow_table()
            feature_cols = [f.name for f in card.features if f.name in present and f.name in bins]
            if in_memory is not None:
                lat = in_memory.select(["date", "latency_ms"]).filter(pc.is_valid(in_memory.column("latency_ms")))
                feat_table = in_memory.select(["date", *feature_cols]) if feature_cols else None
            else:
                lat = cur.sql("SELECT date, latency_ms FROM j WHERE latency_ms IS NOT NULL").to_arrow_table()
                feat_table = cur.sql(
                    f"SELECT date, {', '.join(quote(c) for c in feature_cols)} FROM {source}"
                ).to_arrow_table() if feature_cols else None
            cur.execute("DROP TABLE j")
        finally:
            cur.close()
        latency = None
        if lat.num_rows:
            bins_of = {"latency": latency_bin(lat.column("latency_ms").to_numpy())}
            latency = _count_by_day(model_id, lat.column("date"), bins_of).drop_columns(["feature"])
        features = None
        if feat_table is not None and feat_table.num_rows:
            features = _feature_rollup(model_id, feat_table.column("date"), bins,
                                       {c: _feature_positions(feat_table.column(c), bins[c]) for c in feature_cols})
        return {"daily": _arrow_table(daily), "scores": _arrow_table(scores),
                "groups": _arrow_table(groups) if groups is not None else None,
                "features": features, "latency": latency, "shadow": _arrow_table(shadow)}

    def _compute_outcome_rollup(self, days: Sequence[str]) -> pa.Table | None:
        files = [f for d in days for f in sorted((self.layout.outcomes / f"date={d}").glob(PART_GLOB))]
        if not files:
            return None
        source = (f"read_parquet({_parquet_list(files)}, hive_partitioning=true, union_by_name=true, "
                  "hive_types={'date': 'DATE'})")
        cur = self._con.cursor()
        try:
            return _arrow_table(cur.sql(f"""
                SELECT date, count(*)::BIGINT AS n, coalesce(sum(label), 0)::BIGINT AS n_bad,
                  sum(CAST(round(coalesce(loss_amount, 0) * 100) AS BIGINT))::BIGINT AS loss_cents,
                  max(outcome_timestamp) AS last_ts
                FROM {source} GROUP BY date ORDER BY date""").to_arrow_table())
        finally:
            cur.close()

    # ------------------------------------------------------------------ reading helpers
    def read_rollup(self, kind: str, model_id: str | None = None) -> pd.DataFrame:
        """A whole rollup table (small by design) as pandas."""
        if kind not in TABLE_KINDS:
            raise StoreError(f"unknown rollup {kind!r}")
        if model_id is None:
            return self.sql(f"SELECT * FROM r_{kind}")
        return self.sql(f"SELECT * FROM r_{kind} WHERE model_id = ?", [model_id])

    def count_quarantined(self) -> int:
        return sum(1 for _ in self.layout.quarantine.glob("*/errors.json")) if self.layout.quarantine.is_dir() else 0


def _group_sql(column: str, spec: GroupSpec) -> str:
    """The group label of a protected attribute in SQL: `fairness.assign_groups`, row by row."""
    col = quote(column)
    if spec.kind != BANDS:
        return f"coalesce(CAST({col} AS VARCHAR), {sql_literal(MISSING_GROUP)})"
    value = f"TRY_CAST(CAST({col} AS VARCHAR) AS DOUBLE)"
    labels = spec.labels()
    whens = [f"WHEN {value} IS NULL OR NOT isfinite({value}) THEN {sql_literal(MISSING_GROUP)}"]
    whens += [f"WHEN {value} < {edge!r} THEN {sql_literal(label)}"
              for edge, label in zip(spec.edges, labels, strict=False)]
    return f"CASE {' '.join(whens)} ELSE {sql_literal(labels[-1])} END"


def _string_array(series: pd.Series) -> pa.Array:
    """Text cells to Arrow; non-text values (numbers in a categorical column) as their text."""
    try:
        return pa.array(series, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(series.astype(object).where(series.notna(), None).map(
            lambda v: None if v is None else str(v)), pa.string())


def _partition_slices(table: pa.Table, partition_by: tuple[str, ...]) -> list[tuple[tuple[str, ...], pa.Table]]:
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


def _rollup_chunks(units: Iterable[tuple[str, str]], whole_months: bool = False) -> list[tuple[str, list[str]]]:
    """(model, days) computed together: all of a model's days, or (rebuild) a month at a time."""
    by_model: dict[str, set[str]] = {}
    for model_id, day in units:
        by_model.setdefault(model_id, set()).add(day)
    chunks: list[tuple[str, list[str]]] = []
    for model_id, model_days in sorted(by_model.items()):
        if whole_months:
            by_month: dict[str, list[str]] = {}
            for day in sorted(model_days):
                by_month.setdefault(_month(day), []).append(day)
            chunks.extend((model_id, group) for group in by_month.values())
        else:
            chunks.append((model_id, sorted(model_days)))
    return chunks


def _batch_partitions(table: pa.Table) -> list[tuple[str, str]]:
    """The (model_id, date) pairs a typed prediction batch writes to."""
    keys = table.select(["model_id", "date"]).group_by(["model_id", "date"]).aggregate([])
    return list(zip(keys.column("model_id").to_pylist(), keys.column("date").to_pylist(), strict=True))


def _partition_globs(files: Sequence[Path]) -> str:
    """One glob per partition folder: what the folder holds at query time, not a stale list."""
    folders = sorted({str(Path(f).parent) for f in files})
    return _parquet_list([f"{d}/{PART_GLOB}" for d in folders])


def _exchange(a: Path, b: Path) -> None:
    """Atomically swap two folders (Linux renameat2 RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"atomic folder swap failed: {os.strerror(err)}", str(a))


def _merge_into_months(table: pa.Table | None, days: Sequence[str], path_for: Callable[[str], Path],
                       whole_months: bool = False,
                       on_month: Callable[[str, pa.Table | None], None] | None = None) -> None:
    """Put the recomputed rows of `days` into their month files, keeping the other days' rows.

    Rows stay sorted by date (a stable sort keeps each day's own order), so a file is the same
    whether its days were computed together or one at a time. A month left empty loses its file.
    `on_month(month, rows)` is then given each written month's rows (None for a removed month).
    """
    parts = _split_by_month(table) if table is not None else {}
    by_month: dict[str, list[str]] = {}
    for day in days:
        by_month.setdefault(_month(day), []).append(day)
    for month, month_days in sorted(by_month.items()):
        path, part = path_for(month), parts.get(month)
        if not whole_months and path.exists():
            old = pq.read_table(path)
            stale = pc.is_in(old.column("date"), pa.array([dt.date.fromisoformat(d) for d in month_days], pa.date32()))
            old = old.filter(pc.invert(stale))
            if old.num_rows:
                if part is None or part.num_rows == 0:
                    part = old
                else:
                    try:
                        merged = pa.concat_tables([old.cast(part.schema), part])
                    except (pa.ArrowInvalid, ValueError):  # columns changed (e.g. a new protected attribute)
                        merged = pa.concat_tables([old, part], promote_options="permissive")
                    part = merged.take(pc.sort_indices(merged, sort_keys=[("date", "ascending")]))
        if part is None or part.num_rows == 0:
            path.unlink(missing_ok=True)
            part = None
        else:
            write_parquet_atomic(path, part)
        if on_month is not None:
            on_month(month, part)


def _split_by_month(table: pa.Table) -> dict[str, pa.Table]:
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


def _arrow_table(result: Any) -> pa.Table:
    return result.read_all() if hasattr(result, "read_all") else result


def _feature_positions(column: pa.ChunkedArray, spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin, sub-bin and position per row (`assign_feature_positions`; categorical: the
    category's bin, sub-bin 0 and position 0), with Arrow kernels (no Python objects)."""
    if spec["type"] == "numeric":
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        values = np.where(pc.is_null(column).to_numpy(zero_copy_only=False), np.nan, values)
        return assign_feature_positions(values, spec)
    idx = _feature_bin_index(column, spec)
    return idx, np.zeros(len(idx), dtype=np.int16), np.zeros(len(idx), dtype=np.int64)


def _feature_bin_index(column: pa.ChunkedArray, spec: dict[str, Any]) -> np.ndarray:
    """`assign_feature_bins` on an Arrow column, with Arrow kernels (no Python objects)."""
    if spec["type"] == "numeric":
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        values = np.where(pc.is_null(column).to_numpy(zero_copy_only=False), np.nan, values)
        return assign_feature_bins(values, spec)
    cats = pa.array(spec["categories"], pa.string())
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    index = pc.index_in(text, value_set=cats).to_numpy(zero_copy_only=False)  # null: missing or unseen
    idx = np.where(np.isnan(index.astype(float)), len(cats), index).astype(np.int32)
    idx[pc.is_null(text).to_numpy(zero_copy_only=False)] = NULL_BIN
    return idx


def _count_by_day(model_id: str, dates: pa.ChunkedArray, bins_of: dict[str, np.ndarray]) -> pa.Table:
    """Counts per (date, feature, bin), sorted so; one bincount per feature."""
    days = dates.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    first = int(days.min())
    day_codes, n_days = days - first, int(days.max()) - first + 1
    cols: dict[str, list[np.ndarray]] = {"date": [], "feature": [], "bin": [], "n": []}
    for name in sorted(bins_of):
        low = int(bins_of[name].min())  # latency bins start at 10,000: count from the lowest one
        idx = bins_of[name].astype(np.int64) - low
        width = int(idx.max()) + 1
        counts = np.bincount(day_codes * width + idx, minlength=n_days * width)
        nz = np.flatnonzero(counts)
        cols["date"].append(nz // width + first)
        cols["feature"].append(np.full(len(nz), name, dtype=object))
        cols["bin"].append(nz % width + low)
        cols["n"].append(counts[nz])
    table = pa.table({"model_id": pa.array(np.full(sum(len(x) for x in cols["n"]), model_id, dtype=object), pa.string()),
                      "date": pa.array(np.concatenate(cols["date"]).astype(np.int32), pa.int32()).cast(pa.date32()),
                      "feature": pa.array(np.concatenate(cols["feature"]), pa.string()),
                      "bin": pa.array(np.concatenate(cols["bin"]).astype(np.int32), pa.int32()),
                      "n": pa.array(np.concatenate(cols["n"]).astype(np.int64), pa.int64())})
    return table.sort_by([("date", "ascending"), ("feature", "ascending"), ("bin", "ascending")])


def _feature_rollup(model_id: str, dates: pa.ChunkedArray, bins: dict[str, Any],
                    positions_of: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> pa.Table:
    """Rows and summed positions per (date, feature, bin, sub-bin), sorted so; one bincount per feature.

    Each (bin, sub) of a feature gets a dense code (`feature_cell_starts`), so a day's cells
    are counted with one bincount. Position sums are sums of integers up to 256 per row: exact
    in float64 (under 2**53) for fewer than 2**32 rows a day, so they are exact integers.
    """
    days = dates.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    first = int(days.min())
    day_codes, n_days = days - first, int(days.max()) - first + 1
    cols: dict[str, list[np.ndarray]] = {"date": [], "feature": [], "bin": [], "sub": [], "n": [], "pos_sum": []}
    for name in sorted(positions_of):
        bin_idx, subs, pos = positions_of[name]
        starts = feature_cell_starts(bins[name])
        width = int(starts[-1])
        cell = starts[bin_idx.astype(np.int64) + 1] + subs.astype(np.int64)  # NULL_BIN -1 -> the first code
        key = day_codes * width + cell
        counts = np.bincount(key, minlength=n_days * width)
        sums = np.bincount(key, weights=pos.astype(np.float64), minlength=n_days * width)
        nz = np.flatnonzero(counts)
        cell_bin, cell_sub = feature_cells(bins[name], nz % width)
        cols["date"].append(nz // width + first)
        cols["feature"].append(np.full(len(nz), name, dtype=object))
        cols["bin"].append(cell_bin)
        cols["sub"].append(cell_sub)
        cols["n"].append(counts[nz])
        cols["pos_sum"].append(sums[nz].astype(np.int64))
    total = sum(len(x) for x in cols["n"])
    table = pa.table({"model_id": pa.array(np.full(total, model_id, dtype=object), pa.string()),
                      "date": pa.array(np.concatenate(cols["date"]).astype(np.int32), pa.int32()).cast(pa.date32()),
                      "feature": pa.array(np.concatenate(cols["feature"]), pa.string()),
                      "bin": pa.array(np.concatenate(cols["bin"]).astype(np.int32), pa.int32()),
                      "sub": pa.array(np.concatenate(cols["sub"]).astype(np.int16), pa.int16()),
                      "n": pa.array(np.concatenate(cols["n"]).astype(np.int64), pa.int64()),
                      "pos_sum": pa.array(np.concatenate(cols["pos_sum"]).astype(np.int64), pa.int64())})
    return table.sort_by([("date", "ascending"), ("feature", "ascending"), ("bin", "ascending"),
                          ("sub", "ascending")])


_EMPTY_SCHEMAS: dict[str, pa.Schema] = {
    "daily": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("n", pa.int64()),
                        ("n_approve", pa.int64()), ("n_decline", pa.int64()), ("n_review", pa.int64()),
                        ("n_undecided", pa.int64()), ("score_micro_sum", pa.int64()),
                        ("n_labelled", pa.int64()), ("n_bad", pa.int64()),
                        ("n_labelled_approved", pa.int64()), ("n_bad_approved", pa.int64()),
                        ("amount_cents_labelled", pa.int64()), ("loss_cents", pa.int64()),
                        ("n_latency", pa.int64()), ("first_ts", pa.timestamp("us")),
                        ("last_ts", pa.timestamp("us"))]),
    "scores": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("decision", pa.string()),
                         ("bin", pa.int16()), ("n", pa.int64()), ("n_labelled", pa.int64()),
                         ("n_bad", pa.int64()), ("amount_cents", pa.int64()), ("n_amount", pa.int64()),
                         ("good_amount_cents", pa.int64()), ("n_good_amount", pa.int64()),
                         ("loss_cents", pa.int64()), ("n_bad_loss", pa.int64()),
                         ("bad_noloss_amount_cents", pa.int64()), ("n_bad_noloss_amount", pa.int64())]),
    "groups": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("attribute", pa.string()),
                         ("grp", pa.string()), ("decision", pa.string()), ("bin", pa.int16()),
                         ("n", pa.int64()), ("n_labelled", pa.int64()), ("n_bad", pa.int64())]),
    # sub: the part of a wide body bin, or beyond the outer reference edges the tail sub-bin;
    # pos_sum: the rows' positions in their sub-bin summed, in 1/256ths of its width
    # (binning.assign_feature_positions).
    "features": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("feature", pa.string()),
                           ("bin", pa.int32()), ("sub", pa.int16()), ("n", pa.int64()),
                           ("pos_sum", pa.int64())]),
    # bin: binning.latency_bin (numbers below 10,000: the coarse bins of a rollup written before)
    "latency": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("bin", pa.int32()),
                          ("n", pa.int64())]),
    "shadow": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("application_id", pa.string()),
                         ("timestamp", pa.timestamp("us")), ("score", pa.float64()), ("decision", pa.string()),
                         ("label", pa.int32()), ("loan_amount", pa.float64()), ("loss_amount", pa.float64())]),
    "outcomes": pa.schema([("date", pa.date32()), ("n", pa.int64()), ("n_bad", pa.int64()),
                           ("loss_cents", pa.int64()), ("last_ts", pa.timestamp("us"))]),
}


def _month_key(path: str) -> tuple[str, str]:
    p = Path(path)
    return p.parent.name, p.stem


def _month_table_sql(kind: str, day_files: list[str]) -> str:
    """r_<kind>_month from the day files: summed by calendar month, `date` the month's first day."""
    keys = MONTH_ROLLUP_KEYS[kind]
    measures = [f for f in _EMPTY_SCHEMAS[kind].names if f not in ("model_id", "date", *keys)]
    sums = ", ".join(f"sum({m})::BIGINT AS {m}" for m in measures)
    return (f"CREATE OR REPLACE TABLE r_{kind}_month AS SELECT model_id, date_trunc('month', date)::DATE AS date, "
            f"{', '.join(keys)}, {sums} FROM read_parquet({_parquet_list(day_files)}, union_by_name=true) "
            "GROUP BY ALL ORDER BY ALL")


def compute_month_grain(kind: str, table: pa.Table, month: str) -> pa.Table:
    """One month of a day rollup summed by its keys (per model): the <kind>_month file's rows."""
    keys = ["model_id", *MONTH_ROLLUP_KEYS[kind]]
    schema = _EMPTY_SCHEMAS[f"{kind}_month"]
    measures = [f for f in schema.names if f not in ("date", *keys)]
    summed = table.group_by(keys, use_threads=False).aggregate([(m, "sum") for m in measures])
    summed = summed.rename_columns([c[:-4] if c.endswith("_sum") else c for c in summed.column_names])
    first = pa.array([dt.date.fromisoformat(f"{month}-01")] * summed.num_rows, pa.date32())
    out = pa.table({name: first if name == "date" else summed.column(name) for name in schema.names}).cast(schema)
    return out.take(pc.sort_indices(out, sort_keys=[(k, "ascending") for k in schema.names if k in keys]))


_EMPTY_SCHEMAS.update({f"{kind}_month": _EMPTY_SCHEMAS[kind] for kind in MONTH_ROLLUP_KEYS})


def _empty_rollup(kind: str) -> pa.Table:
    return _EMPTY_SCHEMAS[kind].empty_table()


_STORES: dict[Path, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(path: str | os.PathLike[str] | None = None, create: bool = True) -> Store:
    """One Store per folder per process."""
    root = resolve_store_path(path)
    with _STORES_LOCK:
        if root not in _STORES:
            _STORES[root] = Store(root, create=create)
        return _STORES[root]


__all__ = ["NULL_BIN", "Store", "StoreError", "WriteStats", "open_store", "quote", "resolve_store_path"]
