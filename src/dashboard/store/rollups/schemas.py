"""The one source of the rollup tables' columns, and the month grain summed from the day rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from dashboard.store.engine import parquet_list
from dashboard.store.layout import MONTH_ROLLUP_KEYS

EMPTY_SCHEMAS: dict[str, pa.Schema] = {
    "daily": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("n", pa.int64()),
                        ("n_approve", pa.int64()), ("n_decline", pa.int64()), ("n_review", pa.int64()),
                        ("n_undecided", pa.int64()), ("score_micro_sum", pa.int64()),
                        ("n_labelled", pa.int64()), ("n_bad", pa.int64()),
                        ("n_labelled_approved", pa.int64()), ("n_bad_approved", pa.int64()),
                        ("amount_cents_labelled", pa.int64()), ("loss_cents", pa.int64()),
                        ("n_latency", pa.int64()), ("first_ts", pa.timestamp("us")),
                        ("last_ts", pa.timestamp("us"))]),
    # the money model's sums (analytics/money.py MONEY_COLUMNS) per decision and score bin
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
    # per segment column (`segment`) and value (analytics/segments.py: at most SEGMENT_VALUE_CAP + 2
    # values) and 100 score bins; score_micro_labelled: the matured rows' scores summed in millionths
    "segments": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("segment", pa.string()),
                           ("value", pa.string()), ("bin", pa.int16()), ("n", pa.int64()),
                           ("n_decided", pa.int64()), ("n_approve", pa.int64()), ("n_labelled", pa.int64()),
                           ("n_bad", pa.int64()), ("score_micro_labelled", pa.int64())]),
    "shadow": pa.schema([("model_id", pa.string()), ("date", pa.date32()), ("application_id", pa.string()),
                         ("timestamp", pa.timestamp("us")), ("score", pa.float64()), ("decision", pa.string()),
                         ("label", pa.int32()), ("loan_amount", pa.float64()), ("loss_amount", pa.float64())]),
    "outcomes": pa.schema([("date", pa.date32()), ("n", pa.int64()), ("n_bad", pa.int64()),
                           ("loss_cents", pa.int64()), ("last_ts", pa.timestamp("us"))]),
}
EMPTY_SCHEMAS.update({f"{kind}_month": EMPTY_SCHEMAS[kind] for kind in MONTH_ROLLUP_KEYS})


def empty_rollup(kind: str) -> pa.Table:
    return EMPTY_SCHEMAS[kind].empty_table()


def month_key(path: str) -> tuple[str, str]:
    """(model, month) of a rollup month file."""
    p = Path(path)
    return p.parent.name, p.stem


def month_table_sql(kind: str, day_files: list[str]) -> str:
    """r_<kind>_month from the day files: summed by calendar month, `date` the month's first day."""
    keys = MONTH_ROLLUP_KEYS[kind]
    measures = [f for f in EMPTY_SCHEMAS[kind].names if f not in ("model_id", "date", *keys)]
    sums = ", ".join(f"sum({m})::BIGINT AS {m}" for m in measures)
    return (f"CREATE OR REPLACE TABLE r_{kind}_month AS SELECT model_id, date_trunc('month', date)::DATE AS date, "
            f"{', '.join(keys)}, {sums} FROM read_parquet({parquet_list(day_files)}, union_by_name=true) "
            "GROUP BY ALL ORDER BY ALL")


def compute_month_grain(kind: str, table: pa.Table, month: str) -> pa.Table:
    """One month of a day rollup summed by its keys (per model): the <kind>_month file's rows."""
    keys = ["model_id", *MONTH_ROLLUP_KEYS[kind]]
    schema = EMPTY_SCHEMAS[f"{kind}_month"]
    measures = [f for f in schema.names if f not in ("date", *keys)]
    summed = table.group_by(keys, use_threads=False).aggregate([(m, "sum") for m in measures])
    summed = summed.rename_columns([c[:-4] if c.endswith("_sum") else c for c in summed.column_names])
    first = pa.array([dt.date.fromisoformat(f"{month}-01")] * summed.num_rows, pa.date32())
    out = pa.table({name: first if name == "date" else summed.column(name) for name in schema.names}).cast(schema)
    return out.take(pc.sort_indices(out, sort_keys=[(k, "ascending") for k in schema.names if k in keys]))
