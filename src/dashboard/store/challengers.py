"""Named queries behind the Challengers and Model cards pages.

The shadow comparison reads the `r_shadow` rollup: per model and day, the applications
with the lowest sampling hash of application_id (store/sampling.py; at most a few hundred),
latest score per application. The same hash ranks the same applications first for every model, so the
models' daily samples hold the same applications and the comparison stays paired; its
size grows with days, not rows. Stores whose rollups predate that table fall back to the
raw logs, partition-pruned and bounded by a hash sample of `max_applications`.
Everything else reads rollups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.store.engine import parquet_list, quote, sql_literal
from dashboard.store.rollups.builders import SHADOW_PER_DAY
from dashboard.store.sampling import duckdb_sample_filter
from dashboard.store.store import Store
from dashboard.store.windows import window_source

DEFAULT_MAX_APPLICATIONS = 300_000
ROLLUP_SAMPLE = "rollup"          # ShadowSample.source: the daily r_shadow sample
RAW_SAMPLE = "raw"                # ShadowSample.source: the prediction logs (rollups predate r_shadow)


def score_column(model_id: str) -> str:
    """The column holding a model's score in the shadow frame."""
    return f"score__{model_id}"


@dataclass
class ShadowSample:
    """One row per sampled application of the base model in the window, each model's score beside it.

    `frame` columns: application_id, date, decision (the logged decision), label, loan_amount,
    loss_amount, the protected attributes found in the logs, and score__<model> per model
    (null where that model did not score the application).
    """

    frame: pd.DataFrame
    model_ids: list[str]
    base_model: str
    window_applications: int        # the base model's applications in the window (rollups)
    sampled: bool
    fraction: float                 # sampled applications over window_applications
    protected: list[str] = field(default_factory=list)
    source: str = ROLLUP_SAMPLE     # ROLLUP_SAMPLE or RAW_SAMPLE
    per_day: int = SHADOW_PER_DAY   # the daily cap of the rollup sample

    def overlap(self, model_id: str) -> int:
        """Applications of the base model that `model_id` also scored."""
        col = score_column(model_id)
        return int(self.frame[col].notna().sum()) if col in self.frame else 0


def window_applications(store: Store, model_id: str, start: dt.date | None, end: dt.date | None) -> int:
    """Applications a model scored in [start, end] from the daily rollup."""
    frame = store.sql(
        "SELECT coalesce(sum(n), 0) AS n FROM r_daily WHERE model_id = ? "
        "AND (? IS NULL OR date >= ?) AND (? IS NULL OR date <= ?)",
        [model_id, start, start, end, end])
    return int(frame["n"].iloc[0]) if not frame.empty else 0


def data_window(store: Store, model_id: str) -> tuple[dt.date, dt.date] | None:
    """First and last day with logs for a model (rollups)."""
    frame = store.sql("SELECT min(date) AS lo, max(date) AS hi FROM r_daily WHERE model_id = ?", [model_id])
    if frame.empty or pd.isna(frame["lo"].iloc[0]):
        return None
    return pd.Timestamp(frame["lo"].iloc[0]).date(), pd.Timestamp(frame["hi"].iloc[0]).date()


def load_shadow_rows(store: Store, model_ids: list[str], start: dt.date | None = None,
                     end: dt.date | None = None,
                     max_applications: int = DEFAULT_MAX_APPLICATIONS) -> ShadowSample:
    """The base model's (first id's) sampled applications in the window with every model's score.

    From the `r_shadow` rollup when it has rows for the base model in the window; from the
    raw logs (a hash sample of at most `max_applications`) when the store's rollups predate
    that table. Each model's latest score per application is kept, outcomes are the latest.
    """
    if not model_ids:
        raise ValueError("name at least one model")
    base = model_ids[0]
    cards = store.list_cards()
    protected = sorted({p for m in model_ids if m in cards for p in cards[m].protected_attributes})
    total = window_applications(store, base, start, end)
    if total:
        frame = _rollup_query(store, model_ids, start, end, protected)
        if frame is not None:
            prot = [p for p in protected if p in frame and frame[p].notna().any()]
            frame = frame.drop(columns=[p for p in protected if p in frame and p not in prot])
            return ShadowSample(frame=frame, model_ids=list(model_ids), base_model=base,
                                window_applications=total, sampled=len(frame) < total,
                                fraction=min(1.0, len(frame) / total), protected=prot)
    return _raw_shadow_rows(store, model_ids, start, end, max_applications, protected, total)


def _rollup_query(store: Store, model_ids: list[str], start: dt.date | None, end: dt.date | None,
                  protected: list[str]) -> pd.DataFrame | None:
    """The paired sample from r_shadow; None when it holds no row of the base model in the window."""
    try:
        columns = set(store.sql("DESCRIBE r_shadow")["column_name"])
    except duckdb.Error:  # a store module without the table: the raw path answers
        return None
    # r_shadow holds one row per model, day and application: a plain join is exact unless an
    # application was scored on two days of the window, then each model's latest row is taken.
    table = store.arrow(*_rollup_sql(model_ids, start, end, protected, columns, latest=False))
    if table.num_rows == 0:
        return None
    if pc.count_distinct(table.column("application_id")).as_py() < table.num_rows:
        table = store.arrow(*_rollup_sql(model_ids, start, end, protected, columns, latest=True))
    # Strings stay in Arrow memory: a third of the conversion time of Python string objects.
    return table.to_pandas(date_as_object=False, types_mapper=_arrow_strings)


def _rollup_sql(model_ids: list[str], start: dt.date | None, end: dt.date | None, protected: list[str],
                columns: set[str], latest: bool) -> tuple[str, list[object]]:
    def pick(expr: str, name: str) -> str:
        return f"arg_max({expr}, timestamp) AS {quote(name)}" if latest else f"{expr} AS {quote(name)}"

    base = model_ids[0]
    group = " GROUP BY application_id" if latest else ""
    window = "(? IS NULL OR date >= ?) AND (? IS NULL OR date <= ?)"
    base_cols = [pick(c, c) for c in ("date", "decision", "label", "loan_amount", "loss_amount")]
    base_cols.append(pick("score", score_column(base)))
    base_cols += [pick(quote("g_" + p), p) if "g_" + p in columns else f"NULL::VARCHAR AS {quote(p)}"
                  for p in protected]
    ctes = [f"b AS (SELECT application_id, {', '.join(base_cols)} FROM r_shadow "
            f"WHERE model_id = ? AND {window}{group})"]
    params: list[object] = [base, start, start, end, end]
    joins, selects = [], [f"b.{quote(score_column(base))}"]
    # Shadow scores may land a little after the champion's: widen the window by a day.
    lo = start - dt.timedelta(days=1) if start else None
    hi = end + dt.timedelta(days=1) if end else None
    for i, model_id in enumerate(model_ids[1:]):
        col = score_column(model_id)
        ctes.append(f"m{i} AS (SELECT application_id, {pick('score', col)} FROM r_shadow "
                    f"WHERE model_id = ? AND {window}{group})")
        params += [model_id, lo, lo, hi, hi]
        joins.append(f"LEFT JOIN m{i} USING (application_id)")
        selects.append(f"m{i}.{quote(col)}")
    prot_select = "".join(f", b.{quote(p)}" for p in protected)
    query = (f"WITH {', '.join(ctes)} SELECT application_id, b.date, coalesce(b.decision, 'none') AS decision, "
             f"b.label::INTEGER AS label, b.loan_amount, b.loss_amount{prot_select}, {', '.join(selects)} "
             f"FROM b {' '.join(joins)} ORDER BY application_id")
    return query, params


def _arrow_strings(kind: pa.DataType) -> pd.StringDtype | None:
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pd.StringDtype("pyarrow")
    return None


def _raw_shadow_rows(store: Store, model_ids: list[str], start: dt.date | None, end: dt.date | None,
                     max_applications: int, protected: list[str], total: int) -> ShadowSample:
    """The slow path for rollups built before r_shadow: a hash sample of the raw logs."""
    base = model_ids[0]
    fraction = min(1.0, max_applications / total) if total else 1.0
    sampled = fraction < 1.0
    sample_filter = duckdb_sample_filter("application_id", fraction) if sampled else "TRUE"
    base_files = store.prediction_files(base, start, end)
    if not base_files:
        return ShadowSample(frame=_empty_frame(model_ids, protected), model_ids=list(model_ids),
                            base_model=base, window_applications=total, sampled=sampled,
                            fraction=fraction, protected=[], source=RAW_SAMPLE)
    try:
        frame, prot = _shadow_query(store, model_ids, start, end, base_files, protected, sample_filter, fast=True)
    except Exception:  # noqa: BLE001 - files written with differing schemas: read them by name
        frame, prot = _shadow_query(store, model_ids, start, end, base_files, protected, sample_filter, fast=False)
    return ShadowSample(frame=frame, model_ids=list(model_ids), base_model=base, window_applications=total,
                        sampled=sampled, fraction=fraction, protected=prot, source=RAW_SAMPLE)


def _source(store: Store, files: list[Path], fast: bool) -> str | None:
    """Only the columns every prediction file has are read on the fast path, which skips
    reconciling each file's schema (three times faster on many small daily files)."""
    if not files:
        return None
    if not fast:
        return store.predictions_source(files)
    return f"read_parquet({parquet_list(files)}, hive_partitioning=true, hive_types={{'date': 'DATE'}})"


def _shadow_query(store: Store, model_ids: list[str], start: dt.date | None, end: dt.date | None,
                  base_files: list[Path], protected: list[str], sample_filter: str,
                  fast: bool) -> tuple[pd.DataFrame, list[str]]:
    base = model_ids[0]
    base_source = _source(store, base_files, fast)
    present = set(store.sql(f"DESCRIBE SELECT * FROM {base_source}")["column_name"])
    prot = [p for p in protected if p in present]
    prot_cols = "".join(f", arg_max(CAST({quote(p)} AS VARCHAR), timestamp) AS {quote(p)}" for p in prot)
    ctes = [f"""b AS (SELECT application_id, max(date) AS date, arg_max(decision, timestamp) AS decision,
                arg_max(score, timestamp) AS {quote(score_column(base))} {prot_cols}
                FROM {base_source} WHERE {sample_filter} GROUP BY application_id)"""]
    joins, selects = [], [f"b.{quote(score_column(base))}"]
    for i, model_id in enumerate(model_ids[1:]):
        # Shadow scores may land a little after the champion's: widen the window by a day.
        lo = start - dt.timedelta(days=1) if start else None
        hi = end + dt.timedelta(days=1) if end else None
        source = _source(store, store.prediction_files(model_id, lo, hi), fast)
        col = quote(score_column(model_id))
        if source is None:
            selects.append(f"NULL::DOUBLE AS {col}")
            continue
        ctes.append(f"""m{i} AS (SELECT application_id, arg_max(score, timestamp) AS {col} FROM {source}
                        WHERE {sample_filter} GROUP BY application_id)""")
        joins.append(f"LEFT JOIN m{i} USING (application_id)")
        selects.append(f"m{i}.{col}")
    outcomes = store.outcomes_source()
    if outcomes:
        ctes.append(f"""o AS (SELECT application_id, arg_max(label, outcome_timestamp) AS label,
                        arg_max(loan_amount, outcome_timestamp) AS loan_amount,
                        arg_max(loss_amount, outcome_timestamp) AS loss_amount
                        FROM {outcomes} WHERE application_id IN (SELECT application_id FROM b)
                        GROUP BY application_id)""")
        joins.append("LEFT JOIN o USING (application_id)")
        label_cols = "o.label::INTEGER AS label, o.loan_amount, o.loss_amount"
    else:
        label_cols = "NULL::INTEGER AS label, NULL::DOUBLE AS loan_amount, NULL::DOUBLE AS loss_amount"
    prot_select = "".join(f", b.{quote(p)}" for p in prot)
    query = (f"WITH {', '.join(ctes)} SELECT application_id, b.date, coalesce(b.decision, 'none') AS decision, "
             f"{label_cols}{prot_select}, {', '.join(selects)} FROM b {' '.join(joins)} "
             "ORDER BY application_id")
    return store.sql(query), prot


def _empty_frame(model_ids: list[str], protected: list[str]) -> pd.DataFrame:
    cols = ["application_id", "date", "decision", "label", "loan_amount", "loss_amount",
            *[score_column(m) for m in model_ids]]
    return pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("score__") else "object") for c in cols})


def load_monthly_score_histograms(store: Store, model_ids: list[str]) -> pd.DataFrame:
    """Per model, month and score bin (1,000 bins): applications (rollups)."""
    if not model_ids:
        return pd.DataFrame(columns=["model_id", "month", "bin", "n"])
    ids = ", ".join(sql_literal(m) for m in model_ids)
    return store.sql(f"""
        SELECT model_id, date_trunc('month', date)::DATE AS month, bin::INTEGER AS bin, sum(n)::BIGINT AS n
        FROM r_scores_month WHERE model_id IN ({ids}) GROUP BY ALL ORDER BY model_id, month, bin""")


def load_labelled_score_histogram(store: Store, model_id: str, start: dt.date | None = None,
                                  end: dt.date | None = None) -> pd.DataFrame:
    """Per score bin: all, labelled and bad counts (labels exist only for approved loans)."""
    rows, params = window_source(store, "scores", start, end)
    return store.sql(f"""
        SELECT bin::INTEGER AS bin, sum(n)::BIGINT AS n, sum(n_labelled)::BIGINT AS n_labelled,
               sum(n_bad)::BIGINT AS n_bad
        FROM {rows} WHERE model_id = ?
        GROUP BY ALL ORDER BY bin""", [*params, model_id])


def load_group_score_histogram(store: Store, model_id: str) -> pd.DataFrame:
    """Per protected attribute, group and score bin (100 bins): applications (rollups)."""
    return store.sql("""
        SELECT attribute, grp, bin::INTEGER AS bin, sum(n)::BIGINT AS n
        FROM r_groups_month WHERE model_id = ? GROUP BY ALL ORDER BY attribute, grp, bin""", [model_id])


def load_model_daily(store: Store, model_id: str) -> pd.DataFrame:
    """The daily rollup of one model: volumes, labels and first/last timestamps."""
    return store.sql("""
        SELECT date, n, n_approve, n_decline, n_review, n_undecided, n_labelled, n_bad, first_ts, last_ts
        FROM r_daily WHERE model_id = ? ORDER BY date""", [model_id])


def artifact_signature(store: Store, model_id: str) -> str:
    """Changes when a model's artifact or reference data is replaced: a cache key."""
    parts = []
    for name in ("model.skops", "reference.parquet", "card.yaml"):
        path = store.layout.model_dir(model_id) / name
        if path.exists():
            st = path.stat()
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
    return "|".join(parts)
