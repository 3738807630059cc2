"""Arrow fast path for clean, well-typed prediction files (issue 9).

`compute_typed_predictions` turns a table read from Parquet straight into the typed table
the store writes, without the pandas round trip of `validate_predictions` +
`LogWriter.typed_predictions`. It only answers when it can prove every row would pass
validation with no rejection and no warning, and when each column has a type whose
conversion it reproduces exactly; otherwise it returns None and the caller uses the pandas
path, which also produces the messages. Arrow compute kernels only: no per-row Python.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.contracts import DECISIONS, PREDICTION_OPTIONAL, PREDICTION_REQUIRED
from dashboard.models.card import ModelCard

# Column order of Store._typed_predictions, before the features and the `date` column.
_FIXED = ("prediction_id", "model_id", "timestamp", "application_id", "score", "decision", "latency_ms")
_RESERVED = frozenset((*_FIXED, "date"))
_EPOCH = dt.datetime(1970, 1, 1)
# pandas formats years below 1000 without zero padding ('970-08-31'), Arrow pads them;
# years past 9999 do not fit 'YYYY-MM-DD'. Both are left to the pandas path.
_MIN_US = (dt.datetime(1000, 1, 1) - _EPOCH) // dt.timedelta(microseconds=1)
_MAX_US = (dt.datetime(9999, 12, 31, 23, 59, 59, 999999) - _EPOCH) // dt.timedelta(microseconds=1)

log = logging.getLogger(__name__)


class _NotClean(Exception):
    """Some row would be rejected or warned about, or a column needs the pandas path."""


def compute_typed_predictions(table: pa.Table, cards: Mapping[str, ModelCard]) -> pa.Table | None:
    """The typed prediction table the store writes for `table`, or None to use the pandas path.

    Not None only when every row passes `validate_predictions(table.to_pandas(), cards)`
    with no rejection and no warning; then the result equals, values, column order and
    types, the concatenation over models in sorted order of `LogWriter.typed_predictions` on
    the validated rows. None for an empty table too.
    """
    try:
        return _typed(table, cards)
    except (_NotClean, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        # ArrowInvalid: a safe cast lost information (a fraction in a categorical float,
        # an int too big for float64, ...): the pandas path decides what that means.
        log.debug("the file goes through the full validation: %s", exc)
        return None


def _typed(table: pa.Table, cards: Mapping[str, ModelCard]) -> pa.Table:
    names = table.column_names
    if table.num_rows == 0 or len(set(names)) != len(names) or any(n != n.strip() for n in names):
        raise _NotClean("empty, duplicate or padded column names")
    if not _plain_pandas_metadata(table.schema):
        raise _NotClean("pandas metadata makes to_pandas() give other columns or dtypes")
    if any(c not in names for c in PREDICTION_REQUIRED) or "backfilled" in names:
        raise _NotClean("required column missing, or the backfilled flag (typed by the pandas path)")

    ids = {c: _ids(table.column(c)) for c in ("prediction_id", "application_id", "model_id")}
    models = sorted(m for m in pc.unique(ids["model_id"]).to_pylist())
    if any(m not in cards for m in models):
        raise _NotClean("unregistered model")
    if _has_duplicates(ids["prediction_id"]):
        raise _NotClean("duplicate prediction_id")

    numeric, text = _model_columns([cards[m] for m in models])
    known = set(PREDICTION_REQUIRED) | set(PREDICTION_OPTIONAL) | numeric | text
    if any(n not in known for n in names):
        raise _NotClean("unknown column: the pandas path warns")
    for m in models:
        if any(spec.name not in names for spec in cards[m].features):
            raise _NotClean("a feature column of a model is missing")

    timestamp = _timestamps(table.column("timestamp"))
    score = _floats(table.column("score"))
    if score.null_count or not _all(pc.and_(pc.greater_equal(score, 0.0), pc.less_equal(score, 1.0))):
        raise _NotClean("score missing or outside 0..1")
    latency = _floats(table.column("latency_ms")) if "latency_ms" in names else _nulls(pa.float64(), table.num_rows)
    if _any(pc.less(latency, 0.0)):
        raise _NotClean("negative latency")
    decision = _decisions(table.column("decision")) if "decision" in names else _nulls(pa.string(), table.num_rows)
    date = pc.cast(pc.cast(timestamp, pa.date32()), pa.string())

    fixed = {"prediction_id": ids["prediction_id"], "model_id": ids["model_id"], "timestamp": timestamp,
             "application_id": ids["application_id"], "score": score, "decision": decision,
             "latency_ms": latency}
    converted = {n: _floats(table.column(n)) for n in numeric if n in names}
    converted |= {n: _text(table.column(n)) for n in text if n in names}

    parts = []
    for m in models:
        card = cards[m]
        cols: dict[str, pa.ChunkedArray] = {c: fixed[c] for c in _FIXED}
        for spec in card.features:
            cols[spec.name] = converted[spec.name]
        for name in card.kept_columns:
            if name in names and name not in cols:
                cols[name] = converted[name]
        cols["date"] = date
        part = pa.table(cols)
        parts.append(part if len(models) == 1 else part.filter(pc.equal(ids["model_id"], m)))
    return pa.concat_tables(parts, promote_options="default")


def _plain_pandas_metadata(schema: pa.Schema) -> bool:
    """True when `to_pandas()`, which the pandas path starts from, sees the same columns as
    Arrow, each with a plain numpy dtype. A file written from pandas can ask for an index
    (a column that disappears), renamed columns, or extension dtypes such as 'string',
    with which validation judges blanks differently (only nulls are blank there)."""
    meta = schema.pandas_metadata
    if not meta:
        return True
    if any(not isinstance(i, dict) for i in meta.get("index_columns", [])):
        return False
    if len(meta.get("column_indexes", [])) > 1:
        return False
    for column in meta.get("columns", []):
        if column.get("field_name") in schema.names and str(column.get("name")) != column["field_name"]:
            return False
        try:
            np.dtype(column.get("numpy_type"))
        except TypeError:
            return False
    return True


def _model_columns(cards: list[ModelCard]) -> tuple[set[str], set[str]]:
    """Numeric feature names and text names (categoricals, protected, personal) of the models.

    A name that is numeric for one model and text for another, or that shadows a fixed
    column, is typed by whichever model validation meets first: left to the pandas path.
    """
    numeric = {s.name for c in cards for s in c.features if s.type == "numeric"}
    text = {s.name for c in cards for s in c.features if s.type != "numeric"}
    text |= {n for c in cards for n in c.kept_columns}
    if numeric & text or (numeric | text) & _RESERVED:
        raise _NotClean("a column is typed differently by two models or shadows a fixed column")
    return numeric, text


def _ids(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Id cells as strings; every cell must be filled (not null, not only whitespace)."""
    if col.null_count:
        raise _NotClean("blank id")
    if pa.types.is_integer(col.type):
        return pc.cast(col, pa.string())  # str(int) in pandas
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        raise _NotClean("id of another type")
    out = pc.cast(col, pa.string())
    if _any(pc.equal(pc.utf8_trim_whitespace(out), "")):
        raise _NotClean("blank id")
    return out


def _has_duplicates(values: pa.ChunkedArray) -> bool:
    """True when a value repeats. Logs usually come with increasing ids: one comparison
    pass proves them unique, far cheaper than hashing a million strings."""
    n = len(values)
    if n < 2 or _all(pc.less(values.slice(0, n - 1), values.slice(1))):
        return False
    return len(pc.unique(values)) != n


def _timestamps(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Naive UTC microseconds, as pandas' tz_convert('UTC') then astype('datetime64[us]')."""
    if not pa.types.is_timestamp(col.type) or col.null_count:
        raise _NotClean("timestamp missing or not a timestamp type (strings need pandas' parser)")
    unit = col.type.unit
    naive = pc.cast(col, pa.timestamp(unit))  # a zoned timestamp holds UTC instants already
    if unit == "ns":
        # pandas floors nanoseconds to microseconds; a plain cast truncates toward zero.
        naive = pc.floor_temporal(naive, 1, "microsecond")
    out = pc.cast(naive, pa.timestamp("us"))
    bounds = pc.min_max(pc.cast(out, pa.int64()))
    if bounds["min"].as_py() < _MIN_US or bounds["max"].as_py() > _MAX_US:
        raise _NotClean("timestamp outside years 1000..9999")
    return out


def _floats(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """float64 with NaN as null, as pandas' astype(float) then pa.array(from_pandas=True)."""
    kind = col.type
    if pa.types.is_null(kind):
        return _nulls(pa.float64(), len(col))
    if pa.types.is_boolean(kind) and col.null_count:
        raise _NotClean("booleans with nulls become objects in pandas")
    if not (pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind)) \
            or pa.types.is_float16(kind):
        raise _NotClean("not a numeric type")
    out = pc.cast(col, pa.float64())  # safe: an int float64 cannot hold raises ArrowInvalid
    if pa.types.is_floating(kind):
        nan = pc.is_nan(out)
        if _any(nan):
            out = pc.if_else(nan, pa.scalar(None, pa.float64()), out)
    return out


def _text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text cells as `_to_text` + `_string_array` give them: numbers 1.0 and 1 both as '1'."""
    kind = col.type
    if pa.types.is_null(kind):
        return _nulls(pa.string(), len(col))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.cast(col, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(col, "True", "False")  # str(True), not Arrow's 'true'
    if pa.types.is_integer(kind) and not col.null_count:
        return pc.cast(col, pa.string())
    if pa.types.is_integer(kind) or (pa.types.is_floating(kind) and not pa.types.is_float16(kind)):
        # pandas sees floats here (ints with nulls too): integral ones print without '.0';
        # other floats would need Python's repr, so a safe cast to int64 raises for them.
        as_float = _floats(col)
        return pc.cast(pc.cast(as_float, pa.int64()), pa.string())
    raise _NotClean("text column of another type")


def _decisions(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """approve/decline/review after strip().lower(); blank cells become null."""
    kind = col.type
    if pa.types.is_null(kind):
        return _nulls(pa.string(), len(col))
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise _NotClean("decision of another type")
    text = pc.cast(col, pa.string())
    trimmed = pc.utf8_trim_whitespace(text)
    blank = pc.fill_null(pc.equal(trimmed, ""), True)  # the same test as validation's _is_blank
    # On ASCII, Arrow's whitespace and lowercase are exactly Python's str.strip/str.lower.
    if not _all(pc.or_kleene(blank, pc.string_is_ascii(text))):
        raise _NotClean("non-ASCII decision")
    lower = pc.ascii_lower(trimmed)
    if not _all(pc.or_kleene(blank, pc.is_in(lower, value_set=pa.array(DECISIONS)))):
        raise _NotClean("decision not approve, decline, review or empty")
    return pc.if_else(blank, pa.scalar(None, pa.string()), lower)


def _nulls(kind: pa.DataType, n: int) -> pa.ChunkedArray:
    return pa.chunked_array([pa.nulls(n, kind)])


def _all(mask: pa.ChunkedArray) -> bool:
    return bool(pc.all(pc.fill_null(mask, False)).as_py())


def _any(mask: pa.ChunkedArray) -> bool:
    return bool(pc.any(mask).as_py())
