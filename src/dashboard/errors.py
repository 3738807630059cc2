"""The one base of the project's own errors: the CLI catches it once and prints its message.

Each error also derives from the builtin that fits (ValueError for bad input, RuntimeError for
a store operation that cannot go ahead, PermissionError for a refused role), so callers that
catch the builtin keep working.
"""

from __future__ import annotations


class DashboardError(Exception):
    """A problem a person can act on; its message says what to fix."""
