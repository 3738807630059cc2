"""The Overview page's UI module: the figures it draws come from `analytics.overview`.

Holds, for now, what pages/overview.py imports (a page imports only ui/).
"""

from __future__ import annotations

from dashboard.analytics.overview import (
    compute_model_table,
    compute_period_summary,
    compute_trend,
    describe_age,
)

__all__ = ["compute_model_table", "compute_period_summary", "compute_trend", "describe_age"]
