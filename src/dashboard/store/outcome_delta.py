"""An outcome batch merged into the rollups as a delta, at a cost bounded by the batch, not
by the rows of the days it touches.

Only the rollups that join the outcomes change when outcomes arrive (`features` and `latency`
read none). Each application's latest outcome counts (`builders.joined_sql`), so a batch
changes exactly the predictions of its applications: they are read through the id index, and
the same SQL builders turn them into rollup rows twice, with the outcomes stored before the
batch and with the batch added. The additive rollups (`daily`, `scores`, `groups`: integer
counts and sums) get new minus old added to their rows; the `shadow` sample's rows of those
applications get the new outcome columns (which applications it holds does not depend on
outcomes). The result equals a recomputation from the logs (tested against `rollup rebuild`).

A day whose rollup lacks a row the delta needs (rollups written from other rows than the logs
now hold) makes `apply` return None before anything is written: the caller then recomputes
the days from the logs, as it did before. A writer killed midway leaves its pending marker,
and recovery recomputes from the logs, so a delta is never applied twice. Callers hold the
writer lock."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.analytics.fairness import GroupSpec
from dashboard.analytics.segments import SegmentSpec, segment_columns
from dashboard.store.catalog import LogCatalog, prediction_source
from dashboard.store.engine import Engine, parquet_list, quote
from dashboard.store.files import write_parquet_atomic
from dashboard.store.id_index import IdIndex
from dashboard.store.layout import MONTH_ROLLUP_KEYS, ROLLUP_KINDS, Layout
from dashboard.store.models import ModelRegistry
from dashboard.store.rollups.compute import Tables
from dashboard.store.rollups.months import split_by_month
from dashboard.store.rollups.writer import RollupWriter

log = logging.getLogger(__name__)
ADDITIVE_KINDS = ("daily", "scores", "groups", "segments")   # int64 columns are counts and sums
SAMPLE_KIND = "shadow"                            # a sample of rows: their outcome columns replaced
UNJOINED_KINDS = ("features", "latency")         # no outcome in them
OUTCOME_COLUMNS = ("application_id", "outcome_timestamp", "label", "loan_amount", "loss_amount")
OUTCOME_SCHEMA = pa.schema([("application_id", pa.string()), ("outcome_timestamp", pa.timestamp("us")),
                            ("label", pa.int8()), ("loan_amount", pa.float64()), ("loss_amount", pa.float64())])
ROW_E, ROW_N = "__existing_row", "__new_row"
Write = tuple[str, str, str, pa.Table]   # kind, model, month, the month file's new rows


def keys_of(kind: str) -> list[str]:
    return ["model_id", "date", *MONTH_ROLLUP_KEYS.get(kind, ())]


def _positions(existing: pa.Table, rows: pa.Table, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `rows` found in `existing` by `keys`: its position there and in `rows`."""
    left = existing.select(list(keys)).append_column(ROW_E, pa.array(np.arange(existing.num_rows)))
    right = rows.select(list(keys)).append_column(ROW_N, pa.array(np.arange(rows.num_rows)))
    found = left.join(right, list(keys), join_type="inner", use_threads=False)
    return found.column(ROW_E).to_numpy(), found.column(ROW_N).to_numpy()


def add_delta(existing: pa.Table, new: pa.Table, old: pa.Table, keys: Sequence[str]) -> pa.Table | None:
    """`existing` with (new - old) added to its int64 columns (rows matched by `keys`; `new` and
    `old` are the same rows, counted with and without the batch); None when a row of `new` is
    missing from `existing`. A sum over no labelled row is NULL in the builders: it stays NULL
    only while neither the rollup nor the new rows have one."""
    if not new.select(list(keys)).equals(old.select(list(keys))):
        return None
    at, src = _positions(existing, new, keys)
    if len(at) != new.num_rows:
        return None
    out = existing
    for i, field in enumerate(existing.schema):
        if not pa.types.is_int64(field.type) or field.name in keys:
            continue
        col, added, removed = existing.column(i), new.column(field.name), old.column(field.name)
        values = pc.fill_null(col, 0).to_numpy().copy()
        values[at] += (pc.fill_null(added, 0).to_numpy() - pc.fill_null(removed, 0).to_numpy())[src]
        null = pc.is_null(col).to_numpy(zero_copy_only=False).copy()
        null[at] &= pc.is_null(added).to_numpy(zero_copy_only=False)[src]
        out = out.set_column(i, field, pa.array(values, field.type, mask=null if null.any() else None))
    return out


def replace_outcomes(existing: pa.Table, latest: pa.Table) -> pa.Table | None:
    """The shadow rows of `latest`'s (date, application) with its outcome columns; None when none match."""
    at, src = _positions(existing, latest, ("date", "application_id"))
    if not len(at):
        return None
    out = existing
    for name in ("label", "loan_amount", "loss_amount"):
        i = existing.schema.get_field_index(name)
        field = existing.schema.field(i)
        both = pa.concat_arrays([existing.column(i).combine_chunks(),
                                 latest.column(name).combine_chunks().cast(field.type)])
        pick = np.arange(existing.num_rows)
        pick[at] = existing.num_rows + src
        out = out.set_column(i, field, both.take(pa.array(pick)))
    return out


class OutcomeDelta:
    def __init__(self, layout: Layout, engine: Engine, catalog: LogCatalog, models: ModelRegistry,
                 rollups: RollupWriter, ids: IdIndex) -> None:
        self.layout = layout
        self.engine = engine
        self.catalog = catalog
        self.models = models
        self.rollups = rollups
        self.ids = ids

    @staticmethod
    def handles_every_kind() -> bool:
        """False when a rollup kind was added that this module does not know how to update."""
        return set(ROLLUP_KINDS) <= {*ADDITIVE_KINDS, SAMPLE_KIND, *UNJOINED_KINDS}

    def outcome_files_for(self, application_ids: Sequence[str]) -> list[Path]:
        """The outcome files that can hold these applications (id index)."""
        return self.ids.candidates("outcomes", self.catalog.outcome_files(), "application_id", application_ids)

    def stored_outcomes(self, application_ids: Sequence[str]) -> pa.Table:
        """Every stored outcome of these applications."""
        files = self.outcome_files_for(application_ids)
        if not files:
            return OUTCOME_SCHEMA.empty_table()
        with self.engine.cursor() as cur:
            cur.register("batch_apps", pa.table({"application_id": pa.array(application_ids, pa.string())}))
            found = cur.sql(
                f"SELECT {', '.join(OUTCOME_COLUMNS)} FROM read_parquet({parquet_list(files)}, union_by_name=true) o "
                "SEMI JOIN batch_apps b ON o.application_id = b.application_id").to_arrow_table()
        return found.cast(OUTCOME_SCHEMA)

    # ------------------------------------------------------------------ the delta
    def apply(self, stored: pa.Table, batch: pa.Table) -> list[tuple[str, str]] | None:
        """Merge the effect of `batch` (new outcomes, none already stored) into the rollups, given
        the outcomes `stored` before it for the same applications; the (model, day)s touched, or
        None (nothing written) when the rollups lack a row the delta needs."""
        apps = pc.unique(batch.column("application_id")).to_pylist()
        added = pa.concat_tables([stored, batch.select(list(OUTCOME_COLUMNS)).cast(OUTCOME_SCHEMA)])
        writes: list[Write] = []
        units: set[tuple[str, str]] = set()
        for model_id in self.catalog.prediction_models():
            preds = self._affected_predictions(model_id, apps)
            if preds is None:
                continue
            model_writes = self._model_writes(model_id, preds, stored, added)
            if model_writes is None:
                log.warning("the rollups of %s lack rows for this outcome batch: recomputing its days", model_id)
                return None
            writes += model_writes
            units |= {(model_id, str(d)) for d in pc.unique(preds.column("date")).to_pylist()}
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(self._write, writes))
        return sorted(units)

    def _affected_predictions(self, model_id: str, apps: list[str]) -> pa.Table | None:
        """The model's prediction rows of these applications, with the columns the joined rollups
        read (a protected attribute its files lack: NULL, as in a day of files without it)."""
        files = self.ids.candidates(f"applications-{model_id}", self.catalog.prediction_files(model_id=model_id),
                                    "application_id", apps)
        if not files:
            return None
        source = prediction_source(files)
        with self.engine.cursor() as cur:
            present = {r[0] for r in cur.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
            card = self.models.load_card(model_id)
            wanted = dict.fromkeys([*card.protected_attributes, *segment_columns(card)[0]])
            kept = [c for c in wanted if c in present]
            cols = ", ".join(f"p.{quote(c)}" for c in ("application_id", "timestamp", "date", "score", "decision",
                                                        "latency_ms", *kept))
            cur.register("batch_apps", pa.table({"application_id": pa.array(apps, pa.string())}))
            rows = cur.sql(f"SELECT {cols} FROM {source} p SEMI JOIN batch_apps b "
                           "ON p.application_id = b.application_id").to_arrow_table()
        return rows if rows.num_rows else None

    def _model_writes(self, model_id: str, preds: pa.Table, stored: pa.Table, added: pa.Table) -> list[Write] | None:
        """The month files of one model to write, or None when the delta finds a missing row."""
        card = self.models.load_card(model_id)
        specs = self.models.group_specs(model_id)
        present = [p for p in card.protected_attributes if p in preds.column_names]
        if any(p not in specs for p in present):   # first sight of an attribute: its bands are fixed from the logs
            return None
        groups = {p: specs[p] for p in card.protected_attributes if p in specs}
        segment_specs = self.models.segment_specs(model_id)
        if any(c not in segment_specs for c in segment_columns(card)[0] if c in preds.column_names):
            return None   # a segment column's values are fixed from the logs when first seen
        segments = {c: s for c, s in segment_specs.items() if c in segment_columns(card)[0]}
        for p in dict.fromkeys([*groups, *segments]):
            if p not in preds.column_names:
                preds = preds.append_column(p, pa.nulls(preds.num_rows, pa.string()))
        with self.engine.cursor() as cur:
            cur.register("delta_preds", preds)
            cur.register("old_outcomes", stored)
            cur.register("new_outcomes", added)
            old = self._joined(cur, model_id, "old_outcomes", groups, segments)
            new = self._joined(cur, model_id, "new_outcomes", groups, segments)
            latest = cur.sql("SELECT DISTINCT date, application_id, label::INTEGER AS label, amount AS loan_amount, "
                             "loss AS loss_amount FROM j").to_arrow_table()
            cur.execute("DROP TABLE IF EXISTS j")
        return self._merged_months(model_id, old, new, latest)

    def _joined(self, cur: duckdb.DuckDBPyConnection, model_id: str, outcomes: str,
                groups: dict[str, GroupSpec], segments: dict[str, SegmentSpec]) -> Tables:
        cur.execute("DROP TABLE IF EXISTS j")
        return self.rollups.computer.joined_rollups(cur, model_id, "delta_preds", outcomes, groups, segments)

    def _merged_months(self, model_id: str, old: Tables, new: Tables, latest: pa.Table) -> list[Write] | None:
        """The touched month files with the delta merged (read and merged a few at a time)."""
        tasks: list[tuple[str, str, pa.Table, pa.Table | None]] = []
        for kind in ADDITIVE_KINDS:
            new_rows, old_rows = new.get(kind), old.get(kind)
            if new_rows is None or old_rows is None or new_rows.num_rows == 0:
                continue
            old_months = split_by_month(old_rows)
            for month, part in split_by_month(new_rows).items():
                if not part.equals(old_months[month]):   # else outcomes older than the stored ones
                    tasks.append((kind, month, part, old_months[month]))
        tasks += [(SAMPLE_KIND, month, part, None) for month, part in split_by_month(latest).items()]

        def merged(task: tuple[str, str, pa.Table, pa.Table | None]) -> pa.Table | None | bool:
            kind, month, part, before = task
            path = self.layout.rollup_file(kind, model_id, month)
            if not path.exists():
                return False if before is not None else None
            if before is None:
                return replace_outcomes(pq.read_table(path), part)
            result = add_delta(pq.read_table(path), part, before, keys_of(kind))
            return False if result is None else result

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(merged, tasks))
        if any(r is False for r in results):   # a row the delta needs is missing
            return None
        return [(kind, model_id, month, r) for (kind, month, _, _), r in zip(tasks, results, strict=True)
                if isinstance(r, pa.Table)]

    def _write(self, item: Write) -> None:
        kind, model_id, month, rows = item
        write_parquet_atomic(self.layout.rollup_file(kind, model_id, month), rows)
        if kind in MONTH_ROLLUP_KEYS:
            self.rollups.write_month_grain(kind, model_id, month, rows)
