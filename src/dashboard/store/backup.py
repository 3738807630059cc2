"""Backup and restore of a live store, writers running.

The store never rewrites a file in place: every file is published by rename (store/files.py),
so a hard link to it keeps that version whatever comes after. A backup links every file into
a snapshot folder inside the store (same file system, so linking always works where the file
system has hard links) while holding the writer lock, which takes milliseconds; each event day
of a chained kind is linked under that day's chain lock, so the day's events and head agree.
The snapshot then becomes the backup: renamed when the destination is on the same file system,
copied otherwise, writers running meanwhile. Pending markers come along, so a backup taken while
the API's rollups lag is repaired on restore like any store after a crash.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from dashboard.store.chain import LOCK_FILE, UNCHAINED_EVENTS
from dashboard.store.compaction import exchange
from dashboard.store.errors import StoreError
from dashboard.store.files import exclusive_lock, fsync_dir, fsync_file, write_json_atomic
from dashboard.store.layout import Layout

MANIFEST = "BACKUP.json"
# Not part of a store's state: locks, half-written files and folders, our own snapshots.
SKIPPED_PREFIXES = (".tmp-", ".new-", ".compact-", ".backup-", ".restore-")
SKIPPED_NAMES = {".lock", ".staging", MANIFEST}
LINK_ERRORS = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


@dataclass
class BackupStats:
    files: int = 0
    bytes: int = 0
    linked: int = 0
    copied: int = 0
    taken_at: str = ""


def _kept(name: str) -> bool:
    return name not in SKIPPED_NAMES and not name.startswith(SKIPPED_PREFIXES)


def _walk(root: Path, skip_top: frozenset[str] = frozenset()) -> Iterator[Path]:
    """The store's files under `root`, relative, in a stable order."""
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if _kept(d) and not (rel == Path(".") and d in skip_top))
        for name in sorted(files):
            if _kept(name):
                yield rel / name


def _place(src: Path, dst: Path, stats: BackupStats, copy: bool) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not copy:
        try:
            os.link(src, dst)
            stats.linked += 1
            stats.files += 1
            stats.bytes += dst.stat().st_size
            return
        except OSError as exc:
            if exc.errno not in LINK_ERRORS:
                raise
    shutil.copy2(src, dst)
    stats.copied += 1
    stats.files += 1
    stats.bytes += dst.stat().st_size


def _link_tree(src_root: Path, dst_root: Path, stats: BackupStats, copy: bool,
               skip_top: frozenset[str] = frozenset()) -> None:
    for rel in _walk(src_root, skip_top):
        try:
            _place(src_root / rel, dst_root / rel, stats, copy)
        except FileNotFoundError:
            continue  # a rollup month file a writer removed meanwhile (it has no rows any more)


def _snapshot_events(layout: Layout, snap: Path, stats: BackupStats) -> None:
    """Every event file up to now; a chained kind's day under its chain lock (events and head agree)."""
    if not layout.events.is_dir():
        return
    for kind_dir in sorted(p for p in layout.events.iterdir() if p.is_dir() and _kept(p.name)):
        for day in sorted(p for p in kind_dir.iterdir() if p.is_dir() and _kept(p.name)):
            chained = kind_dir.name not in UNCHAINED_EVENTS
            with exclusive_lock(day / LOCK_FILE, timeout=30.0) if chained else nullcontext():
                _link_tree(day, snap / "events" / kind_dir.name / day.name, stats, copy=False)


def backup_store(layout: Layout, dest: Path, copy: bool = False) -> BackupStats:
    """A consistent copy of the store at `dest` (absent or empty), taken with writers running."""
    dest = dest.resolve()
    if dest == layout.root or layout.root in dest.parents:
        raise StoreError(f"the backup folder {dest} is inside the store {layout.root}: choose a folder outside it")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise StoreError(f"{dest} is not an empty folder: back up to a new one")
    stats = BackupStats()
    snap = layout.root / f".backup-{uuid.uuid4().hex}"
    try:
        with exclusive_lock(layout.lock):
            stats.taken_at = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
            _link_tree(layout.root, snap, stats, copy=False, skip_top=frozenset({"events"}))
            _snapshot_events(layout, snap, stats)
        _publish_backup(snap, dest, stats, copy)
    finally:
        shutil.rmtree(snap, ignore_errors=True)
    return stats


def _publish_backup(snap: Path, dest: Path, stats: BackupStats, copy: bool) -> None:
    """The snapshot moved (same file system) or copied to `dest`, its manifest written, all durable."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".restore-{uuid.uuid4().hex}-{dest.name}"
    same_fs = os.stat(snap).st_dev == os.stat(dest.parent).st_dev
    try:
        if same_fs and not copy:
            os.rename(snap, staging)
        else:
            placed = BackupStats(taken_at=stats.taken_at)
            _link_tree(snap, staging, placed, copy=True)
            stats.linked, stats.copied = 0, placed.copied
        write_json_atomic(staging / MANIFEST, {"format": 1, **asdict(stats)})
        _sync_tree(staging)   # every linked or copied file and folder on disk before the backup is named
        _swap_in(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _sync_tree(root: Path) -> None:
    """fsync every file and folder under `root` (cheap for hard links: their data is on disk
    already; only this tree, not the whole file system as os.sync would, with other writers' data)."""
    for folder, _, files in os.walk(root):
        for name in files:
            fsync_file(Path(folder) / name)
        fsync_dir(Path(folder))


def _swap_in(staging: Path, dest: Path) -> None:
    """Put `staging` at `dest` in one step (an existing `dest` is swapped out and removed)."""
    if dest.exists():
        exchange(staging, dest)
    else:
        os.rename(staging, dest)
    fsync_dir(dest.parent)


def read_manifest(backup: Path) -> dict[str, object]:
    path = backup / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{backup} is not a backup: it has no {MANIFEST} (take one with `dashboard backup`)") from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"the manifest {path} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise StoreError(f"the manifest {path} is not a backup manifest")
    return data


def restore_store(backup: Path, target: Path, force: bool = False, copy: bool = False) -> BackupStats:
    """The backup at `backup` becomes the store at `target`; a non-empty `target` only with `force`.

    The copy is made beside `target`, repaired like a store after a crash (pending rollups
    recomputed), then swapped in at once: a failed restore leaves `target` as it was."""
    from dashboard.store.store import Store  # the store facade, for its recovery

    backup, target = backup.resolve(), target.resolve()
    manifest = read_manifest(backup)
    if target.exists() and not target.is_dir():
        raise StoreError(f"{target} is a file, not a store folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise StoreError(f"{target} is not empty: restoring would replace that store (add --force to do so)")
    stats = BackupStats(taken_at=str(manifest.get("taken_at", "")))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".restore-{uuid.uuid4().hex}-{target.name}"
    try:
        _link_tree(backup, staging, stats, copy)
        restored = Store(staging)
        with exclusive_lock(restored.layout.lock):
            restored.recovery.recover()
        _sync_tree(staging)
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return stats
