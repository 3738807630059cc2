"""The Overview page's reads: each model's daily volumes, decisions and labels, and the newest outcome.

The period summary, the trend and the model table are computed by `analytics.overview`
from these rollup reads; the alerts come from `services.performance`.
"""

from __future__ import annotations

from dashboard.store.overview import load_daily, load_latest_outcome

__all__ = ["load_daily", "load_latest_outcome"]
