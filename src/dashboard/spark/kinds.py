"""One Spark builder per rollup kind, mirroring store/rollups/builders.py (SQL) and
store/rollups/counting.py (numpy) expression by expression, so the files are equal.

Every builder takes the model's frames and the kinds built before it, and returns a DataFrame
(None: the kind has no rows for this model). Rollups are additive, so each is a map over the
partitions and a reduce by key; the join of predictions with outcomes (`joined`) is the only
shuffle of rows. Features and latency are counted per Arrow batch by the very numpy functions
DuckDB's engine uses (the bins come from Python), then summed by key.

A new rollup kind needs an entry in `MODEL_KINDS` (tests/spark/test_equality.py fails loudly
for a kind the DuckDB side writes and this registry lacks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from dashboard.analytics.binning import GROUP_SCORE_BINS, SCORE_BINS
from dashboard.analytics.fairness import BANDS, MISSING_GROUP, GroupSpec
from dashboard.analytics.segments import MICRO, OTHER_VALUE, SEGMENT_SCORE_BINS, SegmentSpec
from dashboard.store.layout import MONTH_ROLLUP_KEYS
from dashboard.store.rollups.builders import SHADOW_PER_DAY
from dashboard.store.rollups.counting import count_features, count_latency, feature_positions
from dashboard.store.rollups.schemas import EMPTY_SCHEMAS
from dashboard.store.sampling import spark_sample_order

# A number as DuckDB's TRY_CAST(text AS DOUBLE) reads it; Java's parser also takes "1d" or hex.
NUMBER_TEXT = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"


@dataclass
class ModelFrames:
    """One model's rows: `source` as read (features), `joined` with outcomes, groups, segment
    values and bins."""

    model_id: str
    source: DataFrame
    joined: DataFrame
    protected: list[str]
    features: list[str]
    bins: dict[str, Any] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)


Built = dict[str, DataFrame | None]
Builder = Callable[[ModelFrames, Built], DataFrame | None]


def cents(column: str) -> str:
    """builders.CENTS: round half away from zero, as DuckDB's round (Spark's HALF_UP)."""
    return f"CAST(round(coalesce({column}, 0) * 100) AS BIGINT)"


def _sum_if(expr: str, where: str) -> Column:
    return F.expr(f"sum(CASE WHEN {where} THEN {expr} END)")


def _zsum_if(expr: str, where: str) -> Column:
    return F.expr(f"CAST(coalesce(sum(CASE WHEN {where} THEN {expr} END), 0) AS BIGINT)")


def _count_if(where: str) -> Column:
    return F.expr(f"count(CASE WHEN {where} THEN 1 END)")


def _with_model(frame: DataFrame, model_id: str) -> DataFrame:
    return frame.select(F.lit(model_id).alias("model_id"), "*")


def group_column(column: str, spec: GroupSpec) -> Column:
    """builders.group_sql: the group label of a protected attribute (kept as text in the logs)."""
    text = F.col(f"`{column}`").cast("string")
    if spec.kind != BANDS:
        return F.coalesce(text, F.lit(MISSING_GROUP))
    trimmed = F.trim(text)
    value = F.when(trimmed.rlike(NUMBER_TEXT), trimmed.cast("double"))
    labels = spec.labels()
    out = F.when(value.isNull() | F.isnan(value) | (F.abs(value) == float("inf")), F.lit(MISSING_GROUP))
    for edge, label in zip(spec.edges, labels, strict=False):
        out = out.when(value < F.lit(float(edge)), F.lit(label))
    return out.otherwise(F.lit(labels[-1]))


def segment_value_column(spec: SegmentSpec) -> Column:
    """builders.segment_value_sql: the band, or a kept value, else OTHER_VALUE (or missing)."""
    if spec.group.kind == BANDS:
        return group_column(spec.column, spec.group)
    text = F.col(f"`{spec.column}`").cast("string")
    out = F.when(text.isNull(), F.lit(MISSING_GROUP))
    if spec.values:  # DuckDB's `IN (NULL)` of no kept value is never true
        out = out.when(text.isin(*spec.values), text)
    return out.otherwise(F.lit(OTHER_VALUE))


def _score_bin(bins: int) -> Column:
    return F.expr(f"CAST(least(floor(score * {bins}), {bins - 1}) AS SMALLINT)")


def joined_frame(source: DataFrame, latest: DataFrame | None, groups: dict[str, GroupSpec],
                 segments: dict[str, SegmentSpec] | None = None) -> DataFrame:
    """builders.joined_sql: predictions with their application's latest outcome, protected groups
    (g_<name>), segment values (s_<name>) and bins."""
    frame = source.join(latest, "application_id", "left") if latest is not None else source.select(
        "*", F.lit(None).cast("int").alias("label"), F.lit(None).cast("double").alias("amount"),
        F.lit(None).cast("double").alias("loss"))
    return frame.select(
        "application_id", "timestamp", "date", "score",
        F.coalesce(F.col("decision"), F.lit("none")).alias("decision"), "latency_ms",
        *[group_column(p, spec).alias(f"g_{p}") for p, spec in groups.items()],
        *[segment_value_column(spec).alias(f"s_{c}") for c, spec in (segments or {}).items()],
        _score_bin(SCORE_BINS).alias("bin"), _score_bin(GROUP_SCORE_BINS).alias("gbin"),
        _score_bin(SEGMENT_SCORE_BINS).alias("sbin"),
        F.col("label").cast("int").alias("label"), "amount", "loss")


def latest_outcomes(outcomes: DataFrame) -> DataFrame:
    """Each application's latest outcome, column by column as DuckDB's arg_max: the value of the
    latest row where that value is not null."""
    def latest(column: str) -> Column:
        return F.max_by(F.col(column), F.when(F.col(column).isNotNull(), F.col("outcome_timestamp")))

    return outcomes.groupBy("application_id").agg(
        latest("label").alias("label"), latest("loan_amount").alias("amount"), latest("loss_amount").alias("loss"))


def daily(m: ModelFrames, built: Built) -> DataFrame:
    frame = m.joined.groupBy("date").agg(
        F.count(F.lit(1)).alias("n"),
        _count_if("decision = 'approve'").alias("n_approve"),
        _count_if("decision = 'decline'").alias("n_decline"),
        _count_if("decision = 'review'").alias("n_review"),
        _count_if("decision = 'none'").alias("n_undecided"),
        F.expr("sum(CAST(round(score * 1e6) AS BIGINT))").alias("score_micro_sum"),
        F.count("label").alias("n_labelled"),
        F.expr("CAST(coalesce(sum(label), 0) AS BIGINT)").alias("n_bad"),
        F.expr("count(CASE WHEN decision = 'approve' THEN label END)").alias("n_labelled_approved"),
        _zsum_if("label", "decision = 'approve'").alias("n_bad_approved"),
        _sum_if(cents("amount"), "label IS NOT NULL").alias("amount_cents_labelled"),
        _sum_if(cents("loss"), "label IS NOT NULL").alias("loss_cents"),
        F.count("latency_ms").alias("n_latency"),
        F.min("timestamp").alias("first_ts"), F.max("timestamp").alias("last_ts"))
    return _with_model(frame, m.model_id)


def scores(m: ModelFrames, built: Built) -> DataFrame:
    amount, loss = cents("amount"), cents("loss")
    frame = m.joined.groupBy("date", "decision", "bin").agg(
        F.count(F.lit(1)).alias("n"), F.count("label").alias("n_labelled"),
        F.expr("CAST(coalesce(sum(label), 0) AS BIGINT)").alias("n_bad"),
        _zsum_if(amount, "label IS NOT NULL").alias("amount_cents"),
        F.expr("count(CASE WHEN label IS NOT NULL THEN amount END)").alias("n_amount"),
        _zsum_if(amount, "label = 0").alias("good_amount_cents"),
        F.expr("count(CASE WHEN label = 0 THEN amount END)").alias("n_good_amount"),
        _zsum_if(loss, "label IS NOT NULL").alias("loss_cents"),
        F.expr("count(CASE WHEN label = 1 THEN loss END)").alias("n_bad_loss"),
        _zsum_if(amount, "label = 1 AND loss IS NULL").alias("bad_noloss_amount_cents"),
        F.expr("count(CASE WHEN label = 1 AND loss IS NULL THEN amount END)").alias("n_bad_noloss_amount"))
    return _with_model(frame, m.model_id)


def groups(m: ModelFrames, built: Built) -> DataFrame | None:
    if not m.protected:
        return None
    parts = [m.joined.groupBy("date", F.lit(p).alias("attribute"), F.col(f"g_{p}").alias("grp"), "decision",
                              F.col("gbin").alias("bin")).agg(
        F.count(F.lit(1)).alias("n"), F.count("label").alias("n_labelled"),
        F.expr("CAST(coalesce(sum(label), 0) AS BIGINT)").alias("n_bad")) for p in m.protected]
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    return _with_model(union, m.model_id)


def segments(m: ModelFrames, built: Built) -> DataFrame | None:
    """builders.segments_sql: one pass over the rows, each repeated once per segment column."""
    if not m.segments:
        return None
    pairs = F.explode(F.array(*[F.struct(F.lit(c).alias("segment"), F.col(f"`s_{c}`").alias("value"))
                                for c in m.segments])).alias("s")
    rows = m.joined.select("date", pairs, F.col("sbin").alias("bin"), "decision", "label", "score")
    frame = rows.groupBy("date", F.col("s.segment").alias("segment"), F.col("s.value").alias("value"), "bin").agg(
        F.count(F.lit(1)).alias("n"), _count_if("decision <> 'none'").alias("n_decided"),
        _count_if("decision = 'approve'").alias("n_approve"), F.count("label").alias("n_labelled"),
        F.expr("CAST(coalesce(sum(label), 0) AS BIGINT)").alias("n_bad"),
        _zsum_if(f"CAST(round(score * {MICRO}) AS BIGINT)", "label IS NOT NULL").alias("score_micro_labelled"))
    return _with_model(frame, m.model_id)


def shadow(m: ModelFrames, built: Built) -> DataFrame:
    """builders.shadow_sql: per day the SHADOW_PER_DAY applications first by the sampling hash."""
    rank = Window.partitionBy("date").orderBy(*[F.expr(t) for t in spark_sample_order("application_id")])
    latest = Window.partitionBy("date", "application_id").orderBy(F.col("timestamp").desc(), F.col("score").desc())
    picked = (m.joined.withColumn("_rank", F.dense_rank().over(rank)).where(F.col("_rank") <= SHADOW_PER_DAY)
              .withColumn("_row", F.row_number().over(latest)).where(F.col("_row") == 1))
    return picked.select(
        F.lit(m.model_id).alias("model_id"), "date", "application_id", "timestamp", "score", "decision",
        F.col("label").cast("int").alias("label"), F.col("amount").alias("loan_amount"),
        F.col("loss").alias("loss_amount"), *[f"g_{p}" for p in m.protected])


def _count_batches(count: Callable[[pa.Table], pa.Table | None], batches: Iterator[pa.RecordBatch]
                   ) -> Iterator[pa.RecordBatch]:
    """The map side: one partial histogram per Arrow batch of a partition."""
    for batch in batches:
        if batch.num_rows:
            counted = count(pa.Table.from_batches([batch]))
            if counted is not None and counted.num_rows:
                yield from counted.to_batches()


def _spark_schema(kind: str) -> str:
    types = {pa.string(): "string", pa.date32(): "date", pa.int16(): "smallint", pa.int32(): "int",
             pa.int64(): "bigint"}
    return ", ".join(f"`{f.name}` {types[f.type]}" for f in EMPTY_SCHEMAS[kind])


def _latency_counts(model_id: str, table: pa.Table) -> pa.Table:
    return count_latency(model_id, table)


def _feature_counts(model_id: str, bins: dict[str, Any], names: Sequence[str], table: pa.Table) -> pa.Table:
    return count_features(model_id, table.column("date"), bins,
                          {c: feature_positions(table.column(c), bins[c]) for c in names})


def latency(m: ModelFrames, built: Built) -> DataFrame:
    rows = m.joined.where(F.col("latency_ms").isNotNull()).select("date", "latency_ms")
    partial_counts = rows.mapInArrow(partial(_count_batches, partial(_latency_counts, m.model_id)),
                                     _spark_schema("latency"))
    return partial_counts.groupBy("model_id", "date", "bin").agg(F.sum("n").alias("n"))


def features(m: ModelFrames, built: Built) -> DataFrame | None:
    if not m.features:
        return None
    rows = m.source.select("date", *[F.col(f"`{c}`") for c in m.features])
    count = partial(_feature_counts, m.model_id, {c: m.bins[c] for c in m.features}, list(m.features))
    partial_counts = rows.mapInArrow(partial(_count_batches, count), _spark_schema("features"))
    return partial_counts.groupBy("model_id", "date", "feature", "bin", "sub").agg(
        F.sum("n").alias("n"), F.sum("pos_sum").alias("pos_sum"))


def month_grain(kind: str, m: ModelFrames, built: Built) -> DataFrame | None:
    """schemas.compute_month_grain: a day rollup summed by its keys per calendar month."""
    day = built.get(kind)
    if day is None:
        return None
    keys = MONTH_ROLLUP_KEYS[kind]
    measures = [c for c in EMPTY_SCHEMAS[kind].names if c not in ("model_id", "date", *keys)]
    return day.groupBy("model_id", F.trunc("date", "month").alias("date"), *keys).agg(
        *[F.sum(c).alias(c) for c in measures])


def outcomes_rollup(outcomes: DataFrame) -> DataFrame:
    """builders.outcomes_sql: the outcome log by outcome day."""
    return outcomes.groupBy("date").agg(
        F.count(F.lit(1)).alias("n"), F.expr("CAST(coalesce(sum(label), 0) AS BIGINT)").alias("n_bad"),
        F.expr(f"sum({cents('loss_amount')})").alias("loss_cents"),
        F.max("outcome_timestamp").alias("last_ts"))


# The order of each kind's rows, as DuckDB's engine writes them (builders.py ORDER BY,
# counting.py, schemas.compute_month_grain): the results are sorted on the driver (they are
# small), not by Spark (a range sort costs a sampling job per kind).
ORDER: dict[str, tuple[str, ...]] = {
    "daily": ("date",), "scores": ("date", "decision", "bin"), "groups": ("date", "attribute", "grp", "decision", "bin"),
    "features": ("date", "feature", "bin", "sub"), "latency": ("date", "bin"), "shadow": ("date", "application_id"),
    "segments": ("date", "segment", "value", "bin"),
    **{f"{kind}_month": ("model_id", *keys) for kind, keys in MONTH_ROLLUP_KEYS.items()},
    "outcomes": ("date",),
}
# Every per-model kind, in an order where a month grain follows its day rollup.
MODEL_KINDS: dict[str, Builder] = {
    "daily": daily, "scores": scores, "groups": groups, "features": features, "latency": latency,
    "shadow": shadow, "segments": segments,
    **{f"{kind}_month": partial(month_grain, kind) for kind in MONTH_ROLLUP_KEYS},
}
