"""Backup and restore for the CLI: a store folder in, a backup folder out, and back (store/backup.py)."""

from __future__ import annotations

from pathlib import Path

from dashboard.store.backup import BackupStats, backup_store, restore_store
from dashboard.store.store import Store


def take_backup(store: Store, dest: Path, copy: bool = False) -> BackupStats:
    """A consistent snapshot of `store` at `dest`, its writers running."""
    return backup_store(store.layout, dest, copy)


__all__ = ["BackupStats", "restore_store", "take_backup"]
