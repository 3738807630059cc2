"""The sampling hash (store/sampling.py): pinned values, the same in Python and DuckDB, and the
raw-log sample fraction. An upgrade that changed any value would move every store's sample."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from dashboard.store.sampling import (
    SAMPLE_SPACE,
    duckdb_sample_filter,
    duckdb_sample_key,
    duckdb_sample_order,
    sample_key,
)

# Pinned: the first 8 bytes of MD5 of the UTF-8 id, big-endian, unsigned. Do not change.
PINNED = {
    "A-000001": 17274037732012632959,
    "app-42": 1098821411226527680,
    "0": 14973660089898329583,
    "été-ü": 11501609694753328023,
    "": 15284527576400310788,
}


@pytest.mark.parametrize(("application_id", "key"), PINNED.items())
def test_pinned_values(application_id: str, key: int) -> None:
    assert sample_key(application_id) == key
    assert int.from_bytes(hashlib.md5(application_id.encode("utf-8")).digest()[:8], "big") == key


def test_duckdb_computes_the_same_keys_and_order() -> None:
    ids = [*PINNED, *(f"app-{i:06d}" for i in range(500))]
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?) AS application_id", [ids])
    got = dict(con.execute(f"SELECT application_id, {duckdb_sample_key('application_id')} FROM t").fetchall())
    assert got == {i: sample_key(i) for i in ids}
    ordered = [r[0] for r in con.execute(
        f"SELECT application_id FROM t ORDER BY {duckdb_sample_order('application_id')}").fetchall()]
    assert ordered == sorted(ids, key=lambda i: (hashlib.md5(i.encode()).digest()[:8], i.encode()))


def test_the_raw_sample_keeps_the_ids_under_the_fraction() -> None:
    ids = [f"app-{i:06d}" for i in range(20_000)]
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?) AS application_id", [ids])
    kept = {r[0] for r in con.execute(
        f"SELECT application_id FROM t WHERE {duckdb_sample_filter('application_id', 0.1)}").fetchall()}
    expected = {i for i in ids if sample_key(i) % SAMPLE_SPACE < 0.1 * SAMPLE_SPACE}
    assert kept == expected and 1_700 < len(kept) < 2_300
