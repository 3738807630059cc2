"""The rollups as DuckDB tables (r_<kind>) for readers: loaded by DuckDB from the month files,
only the tables a query names, and reloaded when a file changes (by name, time and size)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from dashboard.store.engine import Engine, parquet_list
from dashboard.store.layout import MONTH_KINDS, OUTCOME_ROLLUP, ROLLUP_KINDS, TABLE_KINDS, Layout
from dashboard.store.rollups.schemas import empty_rollup, month_key, month_table_sql

LOAD_ATTEMPTS = 4  # rollup table loads racing a writer's rename


class RollupTables:
    def __init__(self, layout: Layout, engine: Engine) -> None:
        self.layout = layout
        self.engine = engine
        self.registered: set[str] = set()          # the r_<kind> tables loaded so far
        self._signatures: dict[str, tuple[Any, ...]] = {}
        self._lock = threading.Lock()

    def _stats(self, kind: str) -> list[tuple[str, int, int]]:
        # A month-grain table also depends on its day files (see _load).
        return file_stats(self.layout, kind) + (file_stats(self.layout, kind[:-6]) if kind in MONTH_KINDS else [])

    def refresh(self, kinds: Sequence[str] | None = None) -> None:
        """Reload the tables whose files changed; `kinds` limits the work to those (default: all).

        DuckDB reads the files itself: three times faster than through pyarrow here, and no
        second copy in memory.
        """
        with self._lock:
            for kind in TABLE_KINDS if kinds is None else kinds:
                self._refresh_one(kind)

    def _refresh_one(self, kind: str) -> None:
        for attempt in range(1, LOAD_ATTEMPTS + 1):
            stats = self._stats(kind)
            signature = tuple(stats)
            if self._signatures.get(kind) == signature and f"r_{kind}" in self.registered:
                return
            try:
                self._load(kind, [s[0] for s in stats if kind not in MONTH_KINDS or Path(s[0]).parent.parent.name == kind])
            except duckdb.Error:
                # A writer replaced or removed a month file between DuckDB reading its footer and
                # its rows (the file is whole either way): list and read again.
                if attempt == LOAD_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)
                continue
            self.registered.add(f"r_{kind}")
            self._signatures[kind] = signature
            return

    def _load(self, kind: str, files: list[str]) -> None:
        # Real tables (not registered views) so that every cursor sees them.
        con = self.engine.connection
        if kind in MONTH_KINDS:
            day_files = [str(p) for p in self.layout.rollup_files(kind[:-6])]
            if {month_key(f) for f in files} != {month_key(f) for f in day_files}:
                # A store written before month files existed (or a writer between the two files):
                # sum the day files instead, never a stale or partial month table.
                if day_files:
                    con.execute(month_table_sql(kind[:-6], day_files))
                    return
                files = []
        if files:
            con.execute(f"CREATE OR REPLACE TABLE r_{kind} AS "
                        f"SELECT * FROM read_parquet({parquet_list(files)}, union_by_name=true)")
            return
        con.register("_rollup_in", empty_rollup(kind))
        try:
            con.execute(f"CREATE OR REPLACE TABLE r_{kind} AS SELECT * FROM _rollup_in")
        finally:
            con.unregister("_rollup_in")

    def files_of_months(self, kind: str, months: Iterable[str]) -> list[Path]:
        """The day rollup's month files (every model) of those months (YYYY-MM)."""
        wanted = set(months)
        return [p for p in self.layout.rollup_files(kind) if p.stem in wanted]

    def signature(self) -> list[str]:
        """What changes when a rollup file changes (part of Store.version)."""
        return [f"{os.path.basename(path)}:{mtime}:{size}"
                for kind in (*ROLLUP_KINDS, OUTCOME_ROLLUP) for path, mtime, size in file_stats(self.layout, kind)]


def file_stats(layout: Layout, kind: str) -> list[tuple[str, int, int]]:
    """(path, mtime_ns, size) of a rollup's month files, as `Layout.rollup_files` lists them.

    With os.scandir rather than pathlib's glob: Store.version() calls this for every kind
    several times per page view of every session, and pathlib made it a tenth of the server's
    CPU under load (issue 21).
    """
    base = str(layout.rollups / kind)
    nested = kind != OUTCOME_ROLLUP
    found: list[tuple[tuple[str, str], str, int, int]] = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        folders = [(e.name, e.path) for e in os.scandir(base) if e.is_dir()] if nested else [("", base)]
        for folder, path in folders:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(path) as entries:
                for e in entries:
                    # skip the writers' half-written .tmp-* files
                    if e.name.endswith(".parquet") and not e.name.startswith("."):
                        with contextlib.suppress(FileNotFoundError):
                            st = e.stat()
                            found.append(((folder, e.name), e.path, st.st_mtime_ns, st.st_size))
    found.sort()
    return [(path, mtime, size) for _, path, mtime, size in found]
