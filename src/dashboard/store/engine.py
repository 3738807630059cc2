"""DuckDB for one store: one in-memory connection, a private cursor per query, and the SQL
quoting helpers every query module uses. Nothing else in the store opens a connection."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

THREADS = min(4, os.cpu_count() or 2)
# A file swapped by compaction or replaced by a writer between listing and reading: read again.
RETRIED = (duckdb.IOException, duckdb.InvalidInputException)
T = TypeVar("T")


def quote(name: str) -> str:
    """A DuckDB identifier, quoted (feature names may hold spaces or quotes)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_list(paths: Sequence[Path | str]) -> str:
    """A SQL list of file paths (or globs) for read_parquet."""
    return "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"


class Engine:
    """The store's DuckDB connection. Tables created on it (the rollups) are seen by every cursor."""

    def __init__(self) -> None:
        self.connection = duckdb.connect(":memory:", config={"threads": str(THREADS)})

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A private cursor, closed after use: queries from several threads do not share state."""
        cur = self.connection.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def read(self, run: Callable[[duckdb.DuckDBPyConnection], T], prepare: Callable[[], None]) -> T:
        """`prepare()` (load what the query names), then `run(cursor)`; once more if a file moved."""
        for attempt in (1, 2):
            prepare()
            with self.cursor() as cur:
                try:
                    return run(cur)
                except RETRIED:
                    if attempt == 2:
                        raise
            time.sleep(0.05)
        raise AssertionError("unreachable")
