"""The sampling hash: the one rule by which the store picks applications for a sample.

The key of an application is the first 8 bytes of the MD5 digest of its id's UTF-8 bytes, read
as an unsigned big-endian 64-bit integer (equivalently: the first 16 hex digits of the MD5 hex
digest). MD5 is used for its spread, not for secrecy. Every engine computes it with built-ins,
so a sample does not change with an engine or an upgrade of one (DuckDB's own `hash()` did
change between releases):

- Python / numpy: `sample_key(id)` below;
- DuckDB: `SAMPLE_KEY_DUCKDB` (`md5` and a hex cast to UBIGINT);
- Spark SQL: `SAMPLE_KEY_SPARK` (`md5`, `substring` and `conv`, as DECIMAL(20, 0)).

Ranking by the key and then the id is ranking by `SAMPLE_ORDER_*` (the key's 16 lowercase hex
digits are fixed width, so text order is numeric order); a fraction is `key % SAMPLE_SPACE`.
The values are pinned by tests/store/test_sampling.py. Stores whose rollups were sampled by
DuckDB's `hash()` (rollup format 3 and before) are moved to this sample by
`dashboard rollup rebuild` or the next ingest (`ROLLUP_FORMAT` 4 and later).
"""

from __future__ import annotations

import hashlib

SAMPLE_SPACE = 1_000_000  # a sampled fraction f keeps the ids whose key % SAMPLE_SPACE < f * SAMPLE_SPACE
HEX_DIGITS = 16           # 8 bytes

SAMPLE_KEY_DUCKDB = f"('0x' || md5({{c}})[1:{HEX_DIGITS}])::UBIGINT"
SAMPLE_KEY_SPARK = f"CAST(conv(substring(md5({{c}}), 1, {HEX_DIGITS}), 16, 10) AS DECIMAL(20, 0))"
SAMPLE_ORDER_DUCKDB = f"md5({{c}})[1:{HEX_DIGITS}], {{c}}"
SAMPLE_ORDER_SPARK = (f"substring(md5({{c}}), 1, {HEX_DIGITS})", "{c}")


def sample_key(application_id: str) -> int:
    """The sampling key of one id (an unsigned 64-bit integer)."""
    return int(hashlib.md5(application_id.encode("utf-8")).hexdigest()[:HEX_DIGITS], 16)


def duckdb_sample_key(column: str) -> str:
    """The DuckDB expression of the key of a (quoted) column."""
    return SAMPLE_KEY_DUCKDB.format(c=column)


def duckdb_sample_order(column: str) -> str:
    """DuckDB ORDER BY terms ranking applications by their key, then id."""
    return SAMPLE_ORDER_DUCKDB.format(c=column)


def duckdb_sample_filter(column: str, fraction: float) -> str:
    """A DuckDB predicate keeping about `fraction` of the ids, the same ones for every model."""
    return f"{duckdb_sample_key(column)} % {SAMPLE_SPACE} < {int(fraction * SAMPLE_SPACE)}"


def spark_sample_key(column: str) -> str:
    """The Spark SQL expression of the key (text: this module imports no Spark)."""
    return SAMPLE_KEY_SPARK.format(c=column)


def spark_sample_order(column: str) -> list[str]:
    """Spark SQL ORDER BY terms (one expression each) ranking applications by their key, then id."""
    return [term.format(c=column) for term in SAMPLE_ORDER_SPARK]
