"""The store's own error: an operation that cannot go ahead, with a message saying why."""

from __future__ import annotations

from dashboard.errors import DashboardError


class StoreError(DashboardError, RuntimeError):
    """A store operation that cannot go ahead; the message says why."""
