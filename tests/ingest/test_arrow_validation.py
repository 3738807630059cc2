"""Arrow fast path: exactly the pandas path's typed table for clean files, None otherwise."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dashboard.ingest.arrow_validation import compute_typed_predictions
from dashboard.ingest.validation import ValidationResult, validate_predictions
from dashboard.models.card import ModelCard, parse_card, parse_card_yaml
from dashboard.store import Store
from dashboard.store.portfolio import read_portfolio

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _card(model_id: str, features: list[tuple[str, str]], protected: list[str],
          personal: list[str]) -> ModelCard:
    return parse_card({
        "id": model_id, "name": "M", "version": "1", "role": "champion", "algorithm": "lr",
        "owner": "o", "training": {"window": {"start": "2024-01-01", "end": "2024-12-31"}},
        "target": "default", "features": [{"name": n, "type": t} for n, t in features],
        "protected_attributes": protected, "personal_columns": personal,
    })


# Two models sharing a numeric feature and a protected column, each with its own extras.
CARDS: dict[str, ModelCard] = {
    "m1": _card("m1", [("income", "numeric"), ("home", "categorical")], ["sex"], ["name"]),
    "m2": _card("m2", [("income", "numeric"), ("region", "categorical")], ["sex"], []),
}


class _CardStore(Store):
    """A store whose registered cards are given: all `writer.typed_predictions` needs."""

    def __init__(self, root: Path, cards: Mapping[str, ModelCard]) -> None:
        super().__init__(root)
        given = dict(cards)
        self.models.load_card = given.__getitem__  # type: ignore[assignment,method-assign]


def _pandas_path(table: pa.Table, cards: Mapping[str, ModelCard],
                 root: Path) -> tuple[ValidationResult, pa.Table | None]:
    """What ingest does today: Parquet -> pandas -> validate -> typed Arrow per model."""
    result = validate_predictions(table.to_pandas(), cards)
    good = result.good
    if good.empty:
        return result, None
    store = _CardStore(root, cards)
    parts = [store.writer.typed_predictions(m, good[good["model_id"] == m])
             for m in sorted(good["model_id"].unique())]
    return result, pa.concat_tables(parts, promote_options="default")


def _assert_same(fast: pa.Table | None, expected: pa.Table | None) -> None:
    assert fast is not None and expected is not None
    assert fast.schema.equals(expected.schema, check_metadata=True)
    assert fast.column_names == expected.column_names
    assert fast.equals(expected, check_metadata=True)


def _roundtrip(table: pa.Table) -> pa.Table:
    """Through a Parquet file, as ingest reads it."""
    buf = io.BytesIO()
    pq.write_table(table, buf)
    buf.seek(0)
    return pq.read_table(buf)


@pytest.fixture(scope="module")
def card_store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("card-store")


def _portfolio_cards(root: Path) -> dict[str, ModelCard]:
    files = read_portfolio(root)
    return {m: parse_card_yaml(p.read_text("utf-8"), str(p)) for m, p in files.cards.items()}


@pytest.mark.slow
def test_demo_sample_files_match_the_pandas_path(card_store_root: Path) -> None:
    files = read_portfolio(SAMPLE)
    cards = _portfolio_cards(SAMPLE)
    tables = [pq.read_table(p) for p in files.predictions]
    assert len(tables) == 3
    for table in tables:
        result, expected = _pandas_path(table, cards, card_store_root)
        assert result.ok and not result.warnings
        _assert_same(compute_typed_predictions(table, cards), expected)
    # All three models in one file: rows split per model, models in sorted order.
    mixed = pa.concat_tables(tables, promote_options="default").slice(0, 200_000)
    _, expected = _pandas_path(mixed, cards, card_store_root)
    fast = compute_typed_predictions(mixed, cards)
    _assert_same(fast, expected)
    assert fast is not None and sorted(set(fast.column("model_id").to_pylist())) == sorted(cards)


def test_small_portfolio_matches_the_pandas_path(small_portfolio_dir: Path, card_store_root: Path) -> None:
    cards = _portfolio_cards(small_portfolio_dir)
    for path in read_portfolio(small_portfolio_dir).predictions:
        table = pq.read_table(path)
        result, expected = _pandas_path(table, cards, card_store_root)
        assert result.ok and not result.warnings
        _assert_same(compute_typed_predictions(table, cards), expected)


def _clean(n: int = 4, **columns: pa.Array | list[Any]) -> pa.Table:
    base: dict[str, Any] = {
        "prediction_id": [f"p{i}" for i in range(n)],
        "model_id": ["m1" if i % 2 == 0 else "m2" for i in range(n)],
        "timestamp": pa.array([dt.datetime(2025, 1, 1, 10, i) for i in range(n)], pa.timestamp("us")),
        "application_id": [f"a{i}" for i in range(n)],
        "score": [0.1 * i for i in range(n)],
        "decision": ["approve"] * n,
        "latency_ms": [12.5] * n,
        "income": [50_000.0] * n,
        "home": ["rent"] * n,
        "region": ["north"] * n,
        "sex": ["f"] * n,
        "name": ["SYN-x"] * n,
    }
    base.update(columns)
    return pa.table({k: v for k, v in base.items() if v is not None})


CLEAN_VARIANTS: dict[str, dict[str, Any]] = {
    "as is": {},
    "tz-aware timestamps become naive UTC": {
        "timestamp": pa.array([dt.datetime(2025, 1, 1, 22, 50) + dt.timedelta(minutes=40 * i) for i in range(4)],
                              pa.timestamp("us", tz="Europe/Paris"))},
    "nanoseconds floor to microseconds, before 1970 too": {
        "timestamp": pa.array([-1, 1, 1_500, 1_735_689_600_000_000_999], pa.timestamp("ns"))},
    "second timestamps": {"timestamp": pa.array([0, 86_399, 86_400, 10**9], pa.timestamp("s"))},
    "integer scores": {"score": pa.array([0, 1, 1, 0], pa.int64())},
    "boolean scores": {"score": [True, False, True, False]},
    "decision case, whitespace and blanks": {"decision": [" Approve ", "DECLINE\t", "", None]},
    "decision all empty (shadow rows)": {"decision": pa.nulls(4)},
    "no decision or latency column": {"decision": None, "latency_ms": None},
    "latency NaN and null become null": {"latency_ms": [float("nan"), None, 0.0, 3.0]},
    "integer latency": {"latency_ms": pa.array([1, 2, None, 4], pa.int32())},
    "null and NaN numeric features": {"income": [None, float("nan"), 1.0, -3.5]},
    "integer numeric feature": {"income": pa.array([1, 2, 3, None], pa.int64())},
    "categorical as floats print like integers": {"home": [1.0, None, float("nan"), -0.0]},
    "categorical as integers": {"home": pa.array([1, 22, 333, -4], pa.int16())},
    "categorical as booleans print like Python": {"home": [True, None, False, True]},
    "categorical with nulls and empty text": {"home": [None, "", " own", "rent"]},
    "protected and personal columns absent": {"sex": None, "name": None},
    "unsorted unique ids": {"prediction_id": ["p3", "p1", "p0", "p2"]},
    "large strings": {"prediction_id": pa.array([f"p{i}" for i in range(4)], pa.large_string())},
    "integer application ids": {"application_id": pa.array([7, 8, 9, 10], pa.int64())},
}


@pytest.mark.parametrize("variant", list(CLEAN_VARIANTS))
def test_clean_variants_take_the_fast_path_with_the_same_result(variant: str, card_store_root: Path) -> None:
    table = _roundtrip(_clean(**CLEAN_VARIANTS[variant]))
    result, expected = _pandas_path(table, CARDS, card_store_root)
    assert result.ok and not result.warnings
    _assert_same(compute_typed_predictions(table, CARDS), expected)


UNCLEAN_VARIANTS: dict[str, dict[str, Any]] = {
    "unknown extra column": {"surprise": [1, 2, 3, 4]},
    "blank prediction id": {"prediction_id": ["p0", " ", "p2", "p3"]},
    "null application id": {"application_id": ["a0", None, "a2", "a3"]},
    "unregistered model": {"model_id": ["m1", "ghost", "m1", "m2"]},
    "null timestamp": {"timestamp": pa.array([0, None, 0, 0], pa.timestamp("us"))},
    "timestamps as text": {"timestamp": ["2025-01-01T10:00:00Z"] * 4},
    "year before 1000": {"timestamp": pa.array([dt.datetime(999, 1, 1)] * 4, pa.timestamp("us"))},
    "NaN score": {"score": [0.1, float("nan"), 0.2, 0.3]},
    "score above one": {"score": [0.1, 1.5, 0.2, 0.3]},
    "scores as text": {"score": ["0.1", "0.2", "0.3", "0.4"]},
    "bad decision": {"decision": ["approve", "maybe", None, "review"]},
    "non-ASCII decision": {"decision": ["approve", "revİew", None, "review"]},
    "negative latency": {"latency_ms": [1.0, -1.0, 2.0, 3.0]},
    "text in a numeric feature": {"income": ["1", "2", "3", "4"]},
    "feature column missing": {"region": None},
    "duplicate prediction id": {"prediction_id": ["p0", "p1", "p0", "p3"]},
    "fractional float categorical": {"home": [1.5, 2.0, 3.0, 4.0]},
}


@pytest.mark.parametrize("variant", list(UNCLEAN_VARIANTS))
def test_unclean_variants_fall_back(variant: str) -> None:
    table = _roundtrip(_clean(**UNCLEAN_VARIANTS[variant]))
    assert compute_typed_predictions(table, CARDS) is None


def test_files_written_from_pandas(card_store_root: Path) -> None:
    frame = _clean().to_pandas()
    plain = _roundtrip(pa.Table.from_pandas(frame, preserve_index=False))
    result, expected = _pandas_path(plain, CARDS, card_store_root)
    assert result.ok
    _assert_same(compute_typed_predictions(plain, CARDS), expected)
    # pandas 'string' dtype: validation then treats only nulls as blank, so '  ' is a bad decision.
    frame["decision"] = pd.array(["approve", "  ", None, "review"], dtype="string")
    typed = _roundtrip(pa.Table.from_pandas(frame, preserve_index=False))
    assert not _pandas_path(typed, CARDS, card_store_root)[0].ok
    assert compute_typed_predictions(typed, CARDS) is None
    # An index column is not a column for the pandas path: prediction_id would be missing.
    indexed = _roundtrip(pa.Table.from_pandas(_clean().to_pandas().set_index("prediction_id")))
    assert not _pandas_path(indexed, CARDS, card_store_root)[0].ok
    assert compute_typed_predictions(indexed, CARDS) is None


def test_padded_column_name_and_empty_table_fall_back() -> None:
    table = _clean()
    padded = table.rename_columns([" score" if c == "score" else c for c in table.column_names])
    assert compute_typed_predictions(padded, CARDS) is None
    assert compute_typed_predictions(table.slice(0, 0), CARDS) is None


# ---------------------------------------------------------------- fuzz
N_ROWS = 6
_texts = st.sampled_from(["x", "rent", " own ", "", "  ", "Ünïcode", "1.0"])
_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 0.5, 1.0, -0.0]))


def _column(kind: str, draw: st.DrawFn) -> pa.Array:
    """One column of N_ROWS cells of a random Arrow type, with some bad cells."""
    # Nulls in a third of the columns; hypothesis favours small draws, hence '== 2'.
    maybe = (lambda s: st.one_of(st.none(), s)) if draw(st.integers(0, 2)) == 2 else (lambda s: s)
    cells: st.SearchStrategy[Any]
    if kind == "id":
        choice = draw(st.sampled_from(["text", "int"]))
        if choice == "int":
            return pa.array(draw(st.lists(maybe(st.integers(-5, 10**6)), min_size=N_ROWS, max_size=N_ROWS)),
                            pa.int64())
        cells = maybe(st.one_of(st.text("ab ", max_size=3), st.sampled_from([f"p{i}" for i in range(30)])))
        unique = draw(st.integers(0, 3)) != 0  # duplicates a quarter of the time
        return pa.array(draw(st.lists(cells, min_size=N_ROWS, max_size=N_ROWS, unique=unique)), pa.string())
    if kind == "model":
        cells = maybe(st.sampled_from(["m1", "m2", "m1", "m2", "ghost", " m1"]))
        return pa.array(draw(st.lists(cells, min_size=N_ROWS, max_size=N_ROWS)), pa.string())
    if kind == "timestamp":
        unit = draw(st.sampled_from(["s", "ms", "us", "ns", "text"]))
        if unit == "text":
            cells = maybe(st.sampled_from(["2025-01-01T10:00:00Z", "2025-01-01", "yesterday"]))
            return pa.array(draw(st.lists(cells, min_size=N_ROWS, max_size=N_ROWS)), pa.string())
        tz = draw(st.sampled_from([None, "UTC", "Europe/Paris", "+05:30"]))
        span = {"s": 10**11, "ms": 10**14, "us": 10**17, "ns": 9 * 10**18}[unit]
        values = st.one_of(st.integers(-span, span), st.integers(-10**6, 10**6))
        return pa.array(draw(st.lists(maybe(values), min_size=N_ROWS, max_size=N_ROWS)), pa.timestamp(unit, tz=tz))
    if kind in ("number", "score"):
        choice = draw(st.sampled_from(["float", "int", "bool", "text", "null"]))
        if choice == "null":
            return pa.nulls(N_ROWS)
        pools: dict[str, tuple[st.SearchStrategy[Any], pa.DataType]] = {
            "float": (_floats, pa.float64()), "int": (st.integers(-3, 3), pa.int64()),
            "bool": (st.booleans(), pa.bool_()), "text": (st.sampled_from(["0.5", "x", ""]), pa.string()),
        }
        cells, typ = pools[choice]
        return pa.array(draw(st.lists(maybe(cells), min_size=N_ROWS, max_size=N_ROWS)), typ)
    if kind == "decision":
        if draw(st.booleans()):
            return pa.nulls(N_ROWS)
        cells = maybe(st.sampled_from(["approve", " Decline", "REVIEW\t", "", " ", "maybe", "revİew",
                                       "\xa0", "approve\x1c"]))
        return pa.array(draw(st.lists(cells, min_size=N_ROWS, max_size=N_ROWS)), pa.string())
    # text: categorical, protected and personal columns
    choice = draw(st.sampled_from(["text", "float", "int", "bool", "null"]))
    if choice == "null":
        return pa.nulls(N_ROWS)
    pools = {"text": (_texts, pa.string()), "float": (_floats, pa.float64()),
             "int": (st.integers(-10**18, 10**18), pa.int64()), "bool": (st.booleans(), pa.bool_())}
    cells, typ = pools[choice]
    if choice == "float" and draw(st.booleans()):
        cells = st.integers(-10**6, 10**6).map(float)  # integral floats: printed without '.0'
    return pa.array(draw(st.lists(maybe(cells), min_size=N_ROWS, max_size=N_ROWS)), typ)


COLUMN_KINDS = {"prediction_id": "id", "model_id": "model", "timestamp": "timestamp",
                "application_id": "id", "score": "score", "decision": "decision",
                "latency_ms": "number", "income": "number", "home": "text", "region": "text",
                "sex": "text", "name": "text"}


@st.composite
def prediction_tables(draw: st.DrawFn) -> pa.Table:
    """A clean table where some columns are replaced by random ones, dropped, or joined by extras."""
    table = _clean(N_ROWS)
    for name, kind in COLUMN_KINDS.items():
        action = draw(st.sampled_from(["keep"] * 6 + ["random", "random", "drop"]))
        if action == "random":
            table = table.set_column(table.column_names.index(name), name, _column(kind, draw))
        elif action == "drop" and draw(st.integers(0, 3)) == 3:
            table = table.drop_columns([name])
    if draw(st.integers(0, 7)) == 7:
        table = table.append_column("surprise", pa.array(range(N_ROWS)))
    return _roundtrip(table)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=prediction_tables())
def test_fuzz_fast_path_is_none_or_exactly_the_pandas_path(table: pa.Table, card_store_root: Path) -> None:
    fast = compute_typed_predictions(table, CARDS)
    result, expected = _pandas_path(table, CARDS, card_store_root)
    clean = result.ok and not result.warnings
    event(f"pandas path {'clean' if clean else 'rejects or warns'}, fast path "
          f"{'answers' if fast is not None else 'falls back'}")
    if not clean:
        assert fast is None, (result.problems, result.warnings)
    if fast is not None:
        _assert_same(fast, expected)
