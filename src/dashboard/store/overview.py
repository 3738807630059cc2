"""Named queries behind the Overview page; all read rollups, never raw rows."""

from __future__ import annotations

import pandas as pd

from dashboard.store.store import Store


def load_daily(store: Store, model_id: str | None = None) -> pd.DataFrame:
    """Per model and day: volume, decisions and labelled counts (rows = models x days)."""
    where = "WHERE model_id = ?" if model_id else ""
    return store.sql(f"""
        SELECT model_id, date, n, n_approve, n_decline, n_review, n_undecided,
               score_micro_sum / 1e6 AS score_sum, n_labelled, n_bad,
               n_labelled_approved, n_bad_approved, coalesce(loss_cents, 0) / 100.0 AS loss_amount,
               first_ts, last_ts
        FROM r_daily {where} ORDER BY model_id, date""", [model_id] if model_id else [])


def load_latest_outcome(store: Store) -> pd.Timestamp | None:
    frame = store.sql("SELECT max(last_ts) AS last_ts, sum(n) AS n FROM r_outcomes")
    value = frame["last_ts"].iloc[0] if not frame.empty else None
    return None if value is None or pd.isna(value) else pd.Timestamp(value)
