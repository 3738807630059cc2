"""One model's rollups for a set of days: from its log files, or for days that had no files
before a batch, from the batch in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.analytics.fairness import GroupSpec
from dashboard.analytics.segments import SegmentSpec
from dashboard.store.catalog import LogCatalog, month_of, outcome_source
from dashboard.store.engine import Engine, quote
from dashboard.store.layout import ROLLUP_KINDS
from dashboard.store.models import ModelRegistry
from dashboard.store.rollups import builders
from dashboard.store.rollups.counting import (
    arrow_table,
    count_features,
    count_latency,
    feature_positions,
)

GROUP_SPEC_ROWS = 200_000  # values read to fix an attribute's bands when it is first seen
Tables = dict[str, pa.Table | None]
RollupChunk = tuple[str, list[str], Tables]  # model, days, table per kind


class RollupSource(Protocol):
    """An engine computing rollups: DuckDB (`RollupComputer`) or Spark (`dashboard.spark`).

    `iter_chunks` yields each (model, days) chunk's tables by kind (None: no rows); a `<kind>_month`
    table among them is written as that month grain instead of summing the day rows here."""

    def iter_chunks(self, chunks: Sequence[tuple[str, list[str]]], batch: pa.Table | None = None,
                    fresh: set[tuple[str, str]] | None = None) -> Iterator[RollupChunk]: ...

    def compute_outcomes(self, days: Sequence[str]) -> pa.Table | None: ...


def plan_chunks(units: Iterable[tuple[str, str]], whole_months: bool = False) -> list[tuple[str, list[str]]]:
    """(model, days) computed together: all of a model's days, or (rebuild) a month at a time."""
    by_model: dict[str, set[str]] = {}
    for model_id, day in units:
        by_model.setdefault(model_id, set()).add(day)
    chunks: list[tuple[str, list[str]]] = []
    for model_id, model_days in sorted(by_model.items()):
        if whole_months:
            by_month: dict[str, list[str]] = {}
            for day in sorted(model_days):
                by_month.setdefault(month_of(day), []).append(day)
            chunks.extend((model_id, group) for group in by_month.values())
        else:
            chunks.append((model_id, sorted(model_days)))
    return chunks


class RollupComputer:
    def __init__(self, engine: Engine, catalog: LogCatalog, models: ModelRegistry) -> None:
        self.engine = engine
        self.catalog = catalog
        self.models = models

    def iter_chunks(self, chunks: Sequence[tuple[str, list[str]]], batch: pa.Table | None = None,
                    fresh: set[tuple[str, str]] | None = None,
                    outcome_files: Sequence[Path] | None = None) -> Iterator[RollupChunk]:
        """Each chunk's rollup tables, computed one chunk at a time (memory stays bounded).

        `outcome_files`: the only outcome files that can hold the chunks' applications (from the
        id index); None reads every outcome file."""
        if outcome_files is None:
            outcomes = self.catalog.outcomes_source()
        else:
            outcomes = outcome_source(outcome_files, globs=False) if outcome_files else None
        models = {m for m, _ in chunks}
        for model_id, days in chunks:
            rows = None
            fresh_days = sorted(d for d in days if fresh and (model_id, d) in fresh)
            if batch is not None and fresh_days:
                rows = batch
                if len(models) > 1 or len(fresh_days) < len(days):  # the usual batch: one model, new days
                    rows = batch.filter(pc.and_(pc.equal(batch.column("model_id"), model_id),
                                                pc.is_in(batch.column("date"), pa.array(fresh_days))))
            yield model_id, days, self.compute(model_id, days, outcomes, rows, set(fresh_days))

    def compute(self, model_id: str, days: Sequence[str], outcomes: str | None, rows: pa.Table | None = None,
                fresh_days: set[str] | None = None) -> Tables:
        """Rollups of one model's predictions on `days`: `rows` (in memory) for `fresh_days`,
        the files of the other days."""
        files = self.catalog.day_files(model_id, [d for d in days if d not in (fresh_days or set())])
        parts = [f"SELECT * FROM {self.catalog.predictions_source(files)}"] if files else []
        has_rows = rows is not None and rows.num_rows > 0
        if has_rows:
            parts.append("SELECT * FROM fresh_rows")
        if not parts:
            return dict.fromkeys(ROLLUP_KINDS)
        source = "(" + " UNION ALL BY NAME ".join(parts) + ")"
        with self.engine.cursor() as cur:
            typed = None
            if has_rows and rows is not None:
                typed = rows.set_column(rows.schema.get_field_index("date"), "date",
                                        pc.cast(rows.column("date"), pa.date32()))
                cur.register("fresh_rows", typed)
            tables, raw = self._sql_rollups(cur, model_id, source, outcomes, in_memory=typed if not files else None)
        tables["latency"] = count_latency(model_id, raw["latency"]) if raw["latency"].num_rows else None
        feats = raw.get("features")
        bins = self.models.feature_bins(model_id)
        tables["features"] = count_features(
            model_id, feats.column("date"), bins,
            {c: feature_positions(feats.column(c), bins[c]) for c in feats.column_names if c != "date"}
        ) if feats is not None and feats.num_rows else None
        return tables

    def _sql_rollups(self, cur: duckdb.DuckDBPyConnection, model_id: str, source: str, outcomes: str | None,
                     in_memory: pa.Table | None) -> tuple[Tables, dict[str, Any]]:
        """The SQL-built rollups, and the rows the numpy-counted ones need (latency, features)."""
        card = self.models.load_card(model_id)
        present = {r[0] for r in cur.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        prot = [p for p in card.protected_attributes if p in present]
        specs = self.models.ensure_group_specs(model_id, prot, lambda name: cur.sql(
            f"SELECT CAST({quote(name)} AS VARCHAR) AS v FROM {source} LIMIT {GROUP_SPEC_ROWS}").df()["v"])
        segments = self.models.ensure_segment_specs(model_id, sorted(present), lambda name: cur.sql(
            f"SELECT CAST({quote(name)} AS VARCHAR) AS v FROM {source} LIMIT {GROUP_SPEC_ROWS}").df()["v"])
        try:
            tables = self.joined_rollups(cur, model_id, source, outcomes, {p: specs[p] for p in prot}, segments)
            bins = self.models.feature_bins(model_id)
            feature_cols = [f.name for f in card.features if f.name in present and f.name in bins]
            raw: dict[str, Any] = {}
            if in_memory is not None:  # only the batch in memory: bin features and latency straight from it
                raw["latency"] = in_memory.select(["date", "latency_ms"]).filter(
                    pc.is_valid(in_memory.column("latency_ms")))
                raw["features"] = in_memory.select(["date", *feature_cols]) if feature_cols else None
            else:
                raw["latency"] = cur.sql("SELECT date, latency_ms FROM j WHERE latency_ms IS NOT NULL").to_arrow_table()
                raw["features"] = cur.sql(
                    f"SELECT date, {', '.join(quote(c) for c in feature_cols)} FROM {source}"
                ).to_arrow_table() if feature_cols else None
        finally:
            cur.execute("DROP TABLE IF EXISTS j")
        return tables, raw

    def joined_rollups(self, cur: duckdb.DuckDBPyConnection, model_id: str, source: str, outcomes: str | None,
                       groups: dict[str, GroupSpec], segments: dict[str, SegmentSpec]) -> Tables:
        """The rollups that join the outcomes (daily, scores, groups, shadow, segments) of `source`;
        leaves the joined rows in table `j` (the caller drops it)."""
        prot = list(groups)
        cur.execute(builders.joined_sql(source, outcomes, groups, segments))
        return {
            "daily": arrow_table(cur.sql(builders.daily_sql(model_id)).to_arrow_table()),
            "scores": arrow_table(cur.sql(builders.scores_sql(model_id)).to_arrow_table()),
            "groups": arrow_table(cur.sql(builders.groups_sql(model_id, prot)).to_arrow_table()) if prot else None,
            "shadow": arrow_table(cur.sql(builders.shadow_sql(model_id, prot)).to_arrow_table()),
            "segments": arrow_table(cur.sql(builders.segments_sql(model_id, list(segments))).to_arrow_table())
            if segments else None,
        }

    def compute_outcomes(self, days: Sequence[str]) -> pa.Table | None:
        """The outcomes rollup of those outcome days (None when they hold no file)."""
        files = self.catalog.outcome_files(days)
        if not files:
            return None
        with self.engine.cursor() as cur:
            return arrow_table(cur.sql(builders.outcomes_sql(outcome_source(files, globs=False))).to_arrow_table())
