"""The audit trail for the UI: record a view, read the trail filtered, export it as CSV.

Events are written and read by `store.audit`; the export quotes any cell a spreadsheet would
run as a formula (`analytics.access.neutralize_formulas`).
"""

from __future__ import annotations

import pandas as pd

from dashboard.analytics.access import neutralize_formulas
from dashboard.store.audit import audit_log, record_audit


def audit_csv(frame: pd.DataFrame) -> str:
    """CSV of the trail; cells a spreadsheet would run as a formula are quoted as text."""
    return str(neutralize_formulas(frame).to_csv(index=False))


__all__ = ["audit_csv", "audit_log", "record_audit"]
