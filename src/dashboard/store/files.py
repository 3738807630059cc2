"""Publishing files durably, and the writers' lock.

Every file the store writes goes through `publish_file`: written under a dot name in its
folder, flushed and fsynced, renamed over the target, then the folder fsynced. After a crash
at any step a reader finds the old file or the new one, never a torn one, and once the call
returns the new file survives a power cut. `stage_file` and `commit_staged` are its two halves,
for writers that stage many files (in threads) before renaming any.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.errors import DashboardError

Writer = Callable[[IO[bytes]], object]   # writes a file's content to an open binary file


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename, a new or removed file) survive a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file written by someone else (DuckDB's COPY) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs_durable(folder: Path) -> None:
    """Create `folder` and its missing parents, fsyncing each parent whose entry is new."""
    missing = []
    probe = folder
    while not probe.is_dir():
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
        fsync_dir(path.parent)


def _tmp_name(target: Path) -> Path:
    # Same folder as the target so that rename is atomic; the dot hides it from globs.
    return target.parent / f".tmp-{uuid.uuid4().hex}-{target.name}"


def stage_file(target: Path, write: Writer, staged: Path | None = None) -> Path:
    """Write a file beside `target` under a dot name (`staged`, or a fresh .tmp- name) and fsync
    it; the caller renames it with `commit_staged`. Nothing is left behind if writing fails."""
    make_dirs_durable(target.parent)
    tmp = staged or _tmp_name(target)
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return tmp


def commit_staged(staged: Path, target: Path) -> None:
    """Rename a staged file over its target, then fsync the folder so the rename is durable."""
    os.replace(staged, target)
    fsync_dir(target.parent)


def publish_file(target: Path, write: Writer) -> None:
    """The one way the store publishes a file: staged, fsynced, renamed, folder fsynced."""
    staged = stage_file(target, write)
    try:
        commit_staged(staged, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()


def remove_file(path: Path) -> None:
    """Remove a published file durably (a rollup month left empty must not come back)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    publish_file(target, lambda fh: fh.write(data))


def write_text_atomic(target: Path, text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))


def write_json_atomic(target: Path, payload: Any) -> None:
    write_text_atomic(target, json.dumps(payload, indent=2, sort_keys=True, default=str))


def write_parquet_atomic(target: Path, table: pa.Table) -> None:
    publish_file(target, lambda fh: pq.write_table(table, fh, compression="zstd"))


def copy_file_atomic(source: Path, target: Path) -> None:
    with open(source, "rb") as src:
        publish_file(target, lambda fh: shutil.copyfileobj(src, fh, 1 << 20))


class LockTimeout(DashboardError, RuntimeError):
    pass


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout: float = 600.0) -> Iterator[None]:
    """Serialize writers on `path`; the OS releases it if the holder dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    pause = 0.001   # short holds (an event append) are retried soon, long ones (an ingest) every 50 ms
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"another writer holds {path} for over {timeout:.0f} s") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
