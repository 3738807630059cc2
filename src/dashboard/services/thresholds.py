"""The Thresholds page's reads: per-bin score and group arrays of a window, and the model's dates.

Every figure at a hypothetical cutoff is computed by `analytics.thresholds` from these arrays;
the policy it applies and the assumptions it edits go through `services.policy` and
`services.assumptions`, which check the role.
"""

from __future__ import annotations

from dashboard.store.thresholds import load_score_dates, load_threshold_bins

__all__ = ["load_score_dates", "load_threshold_bins"]
