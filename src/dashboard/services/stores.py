"""The store handle for the UI and the CLI: where the store is, opening it, and what it raises.

The UI and the CLI get a `Store` from here and pass it to the other services modules; they
never import the store package (they may name the `Store` type under `if TYPE_CHECKING:`).
"""

from __future__ import annotations

from collections.abc import Callable

from dashboard.store import Store, StoreError, open_store, resolve_store_path
from dashboard.store.files import LockTimeout
from dashboard.store.layout import TABLE_KINDS


def warm_rollup_tables(store: Store, before_each: Callable[[], None] | None = None) -> None:
    """Load every rollup table of `store`, one at a time; `before_each()` runs before each one
    (the server's warm-up waits there while a page runs)."""
    for kind in TABLE_KINDS:
        if before_each is not None:
            before_each()
        store.refresh([kind])


__all__ = ["LockTimeout", "Store", "StoreError", "open_store", "resolve_store_path", "warm_rollup_tables"]
