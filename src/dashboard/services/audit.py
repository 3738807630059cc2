"""The audit trail for the UI and the CLI: record a view, read the trail filtered, export it as
CSV, verify the records' hash chain (`store.chain`).

Events are written and read by `store.audit`; the export quotes any cell a spreadsheet would
run as a formula (`analytics.access.neutralize_formulas`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.analytics.access import neutralize_formulas
from dashboard.chain import ChainReport
from dashboard.store.audit import audit_log, record_audit
from dashboard.store.chain import verify_chain
from dashboard.store.store import Store


def audit_csv(frame: pd.DataFrame) -> str:
    """CSV of the trail; cells a spreadsheet would run as a formula are quoted as text."""
    return str(neutralize_formulas(frame).to_csv(index=False))


def verify_records(store: Store, start: dt.date | None = None, end: dt.date | None = None) -> ChainReport:
    """The hash chain of the store's records between two days (inclusive), checked."""
    return verify_chain(store.layout, start, end)


__all__ = ["audit_csv", "audit_log", "record_audit", "verify_records"]
