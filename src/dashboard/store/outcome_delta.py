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
ADDITIVE_KINDS = ("daily", "scores", "groups")   # int64 columns are counts and sums
SAMPLE_KIND = "shadow"                            # a sample of rows: their outcome columns replaced
UNJOINED_KINDS = ("features", "latency")         # no outcome in them
OUTCOME_COLUMNS = ("application_id", "outcome_timestamp", "label", "loan_amount", "loss_amount")
OUTCOME_SCHEMA = pa.schema([("application_id", pa.string()), ("outcome_timestamp", pa.timestamp("us")),
                            ("label", pa.int8()), ("loan_amount", pa.float64()), ("loss_amount", pa.float64())])
ROW = "__row"
Write = tuple[str, str, str, pa.Table]   # kind, model, month, the month file's new rows


def keys_of(kind: str) -> list[str]:
    return ["model_id", "date", *MONTH_ROLLUP_KEYS.get(kind, ())]


def add_delta(cur: duckdb.DuckDBPyConnection, existing: pa.Table, new: pa.Table, old: pa.Table,
              keys: Sequence[str]) -> pa.Table | None:
    """`existing` with (new - old) added to its int64 columns, row order kept; None when a key of
    `new` has no row in `existing`. A sum over no labelled row is NULL in the builders: it stays
    NULL only while neither the rollup nor the new rows have one."""
    measures = [f.name for f in existing.schema if pa.types.is_int64(f.type) and f.name not in keys]
    cur.register("d_e", existing.append_column(ROW, pa.array(np.arange(existing.num_rows))))
    cur.register("d_new", new)
    cur.register("d_old", old)
    using = ", ".join(quote(k) for k in keys)
    missing = cur.execute(f"SELECT count(*) FROM d_new ANTI JOIN d_e USING ({using})").fetchall()[0][0]
    if missing:
        return None
    sums = ", ".join(
        f"CASE WHEN e.{c} IS NULL AND n.{c} IS NULL THEN NULL "
        f"ELSE coalesce(e.{c}, 0) + coalesce(n.{c}, 0) - coalesce(o.{c}, 0) END AS {c}"
        for c in (quote(m) for m in measures))
    out = cur.sql(f"SELECT e.* EXCLUDE ({ROW}) REPLACE ({sums}) FROM d_e e LEFT JOIN d_new n USING ({using}) "
                  f"LEFT JOIN d_old o USING ({using}) ORDER BY e.{ROW}").to_arrow_table()
    return out.select(existing.schema.names).cast(existing.schema)


def replace_outcomes(cur: duckdb.DuckDBPyConnection, existing: pa.Table, latest: pa.Table) -> pa.Table | None:
    """The shadow rows of `latest`'s (date, application) with its outcome columns; None when none match."""
    cur.register("s_e", existing.append_column(ROW, pa.array(np.arange(existing.num_rows))))
    cur.register("s_new", latest)
    hit = cur.execute("SELECT count(*) FROM s_e SEMI JOIN s_new USING (date, application_id)").fetchall()[0][0]
    if not hit:
        return None
    cols = ("label", "loan_amount", "loss_amount")
    repl = ", ".join(f"CASE WHEN n.application_id IS NULL THEN e.{c} ELSE n.{c} END AS {c}" for c in cols)
    out = cur.sql(f"SELECT e.* EXCLUDE ({ROW}) REPLACE ({repl}) FROM s_e e LEFT JOIN s_new n "
                  f"ON e.date = n.date AND e.application_id = n.application_id ORDER BY e.{ROW}").to_arrow_table()
    return out.select(existing.schema.names).cast(existing.schema)


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
            prot = [p for p in self.models.load_card(model_id).protected_attributes if p in present]
            cols = ", ".join(f"p.{quote(c)}" for c in ("application_id", "timestamp", "date", "score", "decision",
                                                        "latency_ms", *prot))
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
        for p in groups:
            if p not in preds.column_names:
                preds = preds.append_column(p, pa.nulls(preds.num_rows, pa.string()))
        with self.engine.cursor() as cur:
            cur.register("delta_preds", preds)
            cur.register("old_outcomes", stored)
            cur.register("new_outcomes", added)
            old = self._joined(cur, model_id, "old_outcomes", groups)
            new = self._joined(cur, model_id, "new_outcomes", groups)
            latest = cur.sql("SELECT DISTINCT date, application_id, label::INTEGER AS label, amount AS loan_amount, "
                             "loss AS loss_amount FROM j").to_arrow_table()
            cur.execute("DROP TABLE IF EXISTS j")
            return self._merged_months(cur, model_id, old, new, latest)

    def _joined(self, cur: duckdb.DuckDBPyConnection, model_id: str, outcomes: str,
                groups: dict[str, GroupSpec]) -> Tables:
        cur.execute("DROP TABLE IF EXISTS j")
        return self.rollups.computer.joined_rollups(cur, model_id, "delta_preds", outcomes, groups)

    def _merged_months(self, cur: duckdb.DuckDBPyConnection, model_id: str, old: Tables, new: Tables,
                       latest: pa.Table) -> list[Write] | None:
        writes: list[Write] = []
        for kind in ADDITIVE_KINDS:
            new_rows, old_rows = new.get(kind), old.get(kind)
            if new_rows is None or old_rows is None or new_rows.num_rows == 0:
                continue
            old_months = split_by_month(old_rows)
            for month, part in split_by_month(new_rows).items():
                before = old_months[month]
                if part.equals(before):   # outcomes older than the stored ones: nothing changes
                    continue
                path = self.layout.rollup_file(kind, model_id, month)
                merged = add_delta(cur, pq.read_table(path), part, before, keys_of(kind)) if path.exists() else None
                if merged is None:
                    return None
                writes.append((kind, model_id, month, merged))
        for month, part in split_by_month(latest).items():
            path = self.layout.rollup_file(SAMPLE_KIND, model_id, month)
            shadow = replace_outcomes(cur, pq.read_table(path), part) if path.exists() else None
            if shadow is not None:
                writes.append((SAMPLE_KIND, model_id, month, shadow))
        return writes

    def _write(self, item: Write) -> None:
        kind, model_id, month, rows = item
        write_parquet_atomic(self.layout.rollup_file(kind, model_id, month), rows)
        if kind in MONTH_ROLLUP_KEYS:
            self.rollups.write_month_grain(kind, model_id, month, rows)
