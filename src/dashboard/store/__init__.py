"""The only layer that touches files and DuckDB."""

from dashboard.store.store import Store, StoreError, open_store, resolve_store_path

__all__ = ["Store", "StoreError", "open_store", "resolve_store_path"]
