"""`SparkRollups`: the store's rollup engine (`RollupSource`) over Spark, for rebuilds.

Per model, Spark reads the partitions of the days asked for (partition folders named on the
driver, so untouched months are never listed or read), joins them with each application's
latest outcome (the whole outcome log: a late label may belong to any month), builds every
kind of `kinds.MODEL_KINDS`, and returns the small aggregated tables to the driver as Arrow.
The store's writer then publishes them by rename, exactly as for DuckDB's rebuild.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dashboard.spark.kinds import (
    MODEL_KINDS,
    ORDER,
    Built,
    ModelFrames,
    joined_frame,
    latest_outcomes,
    outcomes_rollup,
)
from dashboard.store.catalog import month_of
from dashboard.store.errors import StoreError
from dashboard.store.rollups.compute import GROUP_SPEC_ROWS, RollupChunk, Tables
from dashboard.store.rollups.schemas import EMPTY_SCHEMAS
from dashboard.store.store import Store

log = logging.getLogger(__name__)
# The outcome files' columns, as both writers type them (store/writer.py, store/live.py): fixed,
# so Spark need not read every footer to unite them.
OUTCOME_SCHEMA = ("application_id STRING, outcome_timestamp TIMESTAMP_NTZ, label TINYINT, "
                  "loan_amount DOUBLE, loss_amount DOUBLE")


def conform(kind: str, table: pa.Table) -> pa.Table | None:
    """A collected table typed as DuckDB's engine writes it (extra columns, the shadow's groups, as text)."""
    if table.num_rows == 0:
        return None
    schema = EMPTY_SCHEMAS[kind]
    fields = [schema.field(n) if n in schema.names else pa.field(n, pa.string()) for n in table.column_names]
    return table.cast(pa.schema(fields)).sort_by([(k, "ascending") for k in ORDER[kind]])


def hadoop_path(path: Path) -> str:
    """A local (or shared, mounted alike on every node) path for Spark: file:// and not
    percent-encoded (Hadoop reads `model_id=x` as it is; a cluster's default may be HDFS)."""
    return f"file://{path.resolve()}"


def _dates(values: Sequence[str]) -> pa.Array:
    return pa.array([dt.date.fromisoformat(v) for v in values], pa.date32())


def rows_of(kind: str, table: pa.Table | None, days: Sequence[str]) -> pa.Table | None:
    """The rows of a model's table on `days` (a month grain: on their months)."""
    if table is None:
        return None
    keys = sorted({f"{month_of(d)}-01" for d in days}) if kind.endswith("_month") else list(days)
    part = table.filter(pc.is_in(table.column("date"), value_set=_dates(keys)))
    return part if part.num_rows else None


class SparkRollups:
    """Rollups computed by Spark for whole months of a store (the rebuild's chunks)."""

    def __init__(self, store: Store, spark: SparkSession) -> None:
        self.store = store
        self.layout = store.layout
        self.spark = spark
        self._latest: DataFrame | None = None
        self._latest_read = False

    def __enter__(self) -> SparkRollups:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._latest is not None:
            self._latest.unpersist()
            self._latest = None
        self._latest_read = False

    # ------------------------------------------------------------------ reading
    def _read(self, base: Path, folders: Sequence[Path], schema: str | None = None) -> DataFrame:
        """Parquet files of these partition folders, the folders' keys as text columns; the files'
        columns united by name (as DuckDB's union_by_name) unless their `schema` is fixed."""
        reader = self.spark.read.option("basePath", hadoop_path(base))
        reader = reader.schema(schema) if schema else reader.option("mergeSchema", "true")
        return reader.parquet(*[hadoop_path(f) for f in folders])

    def read_predictions(self, model_id: str, days: Sequence[str]) -> DataFrame:
        folder = self.layout.prediction_model_dir(model_id)
        frame = self._read(self.layout.predictions, [folder / f"date={d}" for d in days])
        return frame.withColumn("date", F.to_date("date"))

    def read_outcomes(self, days: Sequence[str] | None = None) -> DataFrame | None:
        base = self.layout.outcomes
        folders = [base / f"date={d}" for d in (days if days is not None else self.store.catalog.outcome_days())]
        if not folders:
            return None
        frame = self._read(base, folders, OUTCOME_SCHEMA)
        return frame.withColumn("date", F.to_date("date"))

    def latest(self) -> DataFrame | None:
        """Each application's latest outcome, read once per rebuild and kept (one row per application)."""
        if not self._latest_read:
            outcomes = self.read_outcomes()
            self._latest = latest_outcomes(outcomes).persist(StorageLevel.MEMORY_AND_DISK) if outcomes else None
            self._latest_read = True
        return self._latest

    # ------------------------------------------------------------------ computing
    def compute(self, model_id: str, days: Sequence[str]) -> Tables:
        """Every kind of one model on `days`, as Arrow tables typed as DuckDB's."""
        source = self.read_predictions(model_id, days)
        models = self.store.models
        card = models.load_card(model_id)
        present = set(source.columns)
        prot = [p for p in card.protected_attributes if p in present]

        def values_of(name: str) -> pd.Series:  # the first values read, as DuckDB's engine takes them
            rows = source.select(F.col(f"`{name}`").cast("string").alias("v")).limit(GROUP_SPEC_ROWS)
            return rows.toArrow().column("v").to_pandas()

        specs = models.ensure_group_specs(model_id, prot, values_of)
        segments = models.ensure_segment_specs(model_id, sorted(present), values_of)
        bins = models.feature_bins(model_id)
        feats = [f.name for f in card.features if f.name in present and f.name in bins]
        joined = joined_frame(source, self.latest(), {p: specs[p] for p in prot}, segments).persist(
            StorageLevel.MEMORY_AND_DISK)
        try:
            frames = ModelFrames(model_id, source, joined, prot, feats, bins, list(segments))
            built: Built = {}
            for kind, build in MODEL_KINDS.items():
                built[kind] = build(frames, built)
            return {kind: conform(kind, frame.toArrow()) if frame is not None else None
                    for kind, frame in built.items()}
        finally:
            joined.unpersist()

    def iter_chunks(self, chunks: Sequence[tuple[str, list[str]]], batch: pa.Table | None = None,
                    fresh: set[tuple[str, str]] | None = None) -> Iterator[RollupChunk]:
        """Each (model, days) chunk's tables; a model's days are computed in one pass."""
        if batch is not None:
            raise StoreError("the Spark engine computes rollups from the store's files, not from a batch in memory")
        by_model: dict[str, list[list[str]]] = {}
        for model_id, days in chunks:
            by_model.setdefault(model_id, []).append(days)
        for model_id, model_chunks in by_model.items():
            all_days = sorted({d for days in model_chunks for d in days})
            log.info("Spark: rollups of %s, %d days", model_id, len(all_days))
            tables = self.compute(model_id, all_days)
            for days in model_chunks:
                yield model_id, days, {kind: rows_of(kind, t, days) for kind, t in tables.items()}

    def compute_outcomes(self, days: Sequence[str]) -> pa.Table | None:
        outcomes = self.read_outcomes(days)
        return conform("outcomes", outcomes_rollup(outcomes).toArrow()) if outcomes is not None else None
