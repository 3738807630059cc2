"""Compaction: a partition of many small files merged into one, swapped in atomically, so a
reader lists the old folder or the new one, never half of each. Rollups do not change."""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from dashboard.store.catalog import PART_GLOB
from dashboard.store.engine import Engine, parquet_list, sql_literal
from dashboard.store.errors import StoreError
from dashboard.store.files import fsync_dir, fsync_file
from dashboard.store.layout import Layout

AT_FDCWD = -100         # renameat2: paths relative to the working directory (both are absolute here)
RENAME_EXCHANGE = 2     # renameat2 flag: swap the two paths in one step (Linux 3.15+)
log = logging.getLogger(__name__)


def exchange(a: Path, b: Path) -> None:
    """Atomically swap two folders (Linux renameat2 with RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"atomic folder swap failed: {os.strerror(err)}", str(a))


def _merge_folder(engine: Engine, folder: Path) -> int:
    """Rewrite one partition folder's files as one file beside it and swap it in; the files merged."""
    files = sorted(folder.glob(PART_GLOB))
    fresh = folder.parent / f".compact-{uuid.uuid4().hex}"
    fresh.mkdir()
    target = fresh / f"part-{uuid.uuid4().hex}.parquet"
    listed = parquet_list(files)
    with engine.cursor() as cur:
        expected = cur.execute(f"SELECT count(*) FROM read_parquet({listed}, union_by_name=true)").fetchone()
        cur.execute(f"COPY (SELECT * FROM read_parquet({listed}, union_by_name=true)) "
                    f"TO {sql_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)")
        written = cur.execute(f"SELECT count(*) FROM read_parquet({sql_literal(str(target))})").fetchone()
    if expected != written:
        shutil.rmtree(fresh, ignore_errors=True)
        raise StoreError(f"compaction of {folder} wrote {written} rows, expected {expected}")
    fsync_file(target)      # durable before it is swapped in, as every published file
    fsync_dir(fresh)
    exchange(folder, fresh)
    fsync_dir(folder.parent)
    shutil.rmtree(fresh, ignore_errors=True)  # now the old files
    return len(files)


def compact_partitions(layout: Layout, engine: Engine, min_files: int = 2,
                       progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Merge each partition of at least `min_files` files (the caller holds the writer lock)."""
    folders = [d for d in [*layout.predictions.glob("model_id=*/date=*"), *layout.outcomes.glob("date=*")]
               if d.is_dir() and len(list(d.glob(PART_GLOB))) >= min_files]
    files_before = 0
    for i, folder in enumerate(sorted(folders)):
        files_before += _merge_folder(engine, folder)
        if progress:
            progress(i + 1, len(folders))
    log.info("compacted %d partitions of %s (%d files into %d)", len(folders), layout.root, files_before,
             len(folders))
    return {"partitions": len(folders), "files_before": files_before, "files_after": len(folders)}
