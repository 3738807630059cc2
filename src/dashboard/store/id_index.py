"""The id index: per log file, the smallest and largest id it holds, so a write batch reads
only the files whose id range could hold one of its ids instead of every stored id.

Log files are immutable and named once (`part-<uuid>`), so an entry never goes stale: each use
reconciles the index with the files present (new files get their range from the Parquet footer,
removed ones are dropped) and stores it again under a dot name + rename. A missing or unreadable
index is rebuilt the same way. Callers hold the writer lock."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.store.files import write_parquet_atomic

log = logging.getLogger(__name__)
SCHEMA = pa.schema([("file", pa.string()), ("lo", pa.string()), ("hi", pa.string())])


def as_text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_range(path: Path, column: str) -> tuple[str | None, str | None]:
    """The smallest and largest value of `column` in a Parquet file: footer statistics when
    every row group has them, else the column itself."""
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    if column not in names:
        return None, None
    pos = names.index(column)
    stats = [meta.row_group(g).column(pos).statistics for g in range(meta.num_row_groups)]
    if stats and all(s is not None and s.has_min_max for s in stats):
        return min(as_text(s.min) for s in stats), max(as_text(s.max) for s in stats)
    values = pq.read_table(path, columns=[column]).column(column)
    bounds = pc.min_max(values)
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    return (None if lo is None else str(lo)), (None if hi is None else str(hi))


def matching_files(ranges: pa.Table, ids: Sequence[str]) -> list[str]:
    """Files of `ranges` whose [lo, hi] holds at least one of `ids` (sorted search, no scan)."""
    if ranges.num_rows == 0 or not ids:
        return []
    wanted = np.sort(np.asarray(ids, dtype=object).astype(str))
    lo = np.asarray(ranges.column("lo").to_pylist(), dtype=object).astype(str)
    hi = np.asarray(ranges.column("hi").to_pylist(), dtype=object).astype(str)
    first = np.searchsorted(wanted, lo, side="left")   # first wanted id >= lo
    hit = (first < len(wanted)) & (wanted[np.minimum(first, len(wanted) - 1)] <= hi)
    files: list[str] = ranges.column("file").to_pylist()
    return [f for f, h in zip(files, hit, strict=True) if h]


class IdIndex:
    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root        # store root: index entries name files relative to it
        self.folder = folder

    def candidates(self, name: str, files: Sequence[Path], column: str, ids: Sequence[str]) -> list[Path]:
        """The files among `files` that may hold one of `ids` in `column` (index `name`)."""
        ranges = self.reconcile(name, files, column)
        return [self.root / f for f in matching_files(ranges, ids)]

    def reconcile(self, name: str, files: Sequence[Path], column: str) -> pa.Table:
        """The index `name` brought in line with `files`, stored again when it changed."""
        path = self.folder / f"{name}.parquet"
        known = self._load(path)
        present = [str(f.relative_to(self.root)) for f in files]
        entries = {f: (lo, hi) for f, lo, hi in zip(known["file"].to_pylist(), known["lo"].to_pylist(),
                                                    known["hi"].to_pylist(), strict=True)}
        kept = {f: entries[f] for f in present if f in entries}
        missing = [f for f in present if f not in entries]
        for rel in missing:
            lo, hi = read_range(self.root / rel, column)
            if lo is not None and hi is not None:
                kept[rel] = (lo, hi)
        table = pa.table({"file": list(kept), "lo": [v[0] for v in kept.values()],
                          "hi": [v[1] for v in kept.values()]}, schema=SCHEMA)
        if missing or len(kept) != len(entries):
            write_parquet_atomic(path, table)
        return table

    def _load(self, path: Path) -> pa.Table:
        if not path.exists():
            log.info("id index %s missing: building it from the log files", path)
            return SCHEMA.empty_table()
        try:
            table = pq.read_table(path)
            if table.schema.equals(SCHEMA):
                return table
            log.warning("id index %s has an unexpected schema: rebuilding it", path)
        except (OSError, pa.ArrowInvalid) as exc:
            log.warning("id index %s unreadable (%s): rebuilding it", path, exc)
        return SCHEMA.empty_table()
