"""Rates and token use from activity events, against sums written out in the test."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.analytics.ingest_activity import (
    compute_api_rates,
    compute_freshness_table,
    compute_token_use,
)

EVENTS = [
    {"at": "2026-05-01T10:00:05", "token": "svc", "requests": 120, "rows": 150, "rejected_rows": 3,
     "statuses": {"200": 110, "422": 3, "429": 7}},
    {"at": "2026-05-01T10:00:10", "token": "anonymous", "requests": 4, "rows": 0, "rejected_rows": 0,
     "statuses": {"401": 4}},
    {"at": "2026-05-01T10:00:15", "token": "svc", "requests": 30, "rows": 30, "rejected_rows": 0,
     "statuses": {"200": 29, "403": 1}},
]


def test_rates_over_the_window() -> None:
    rates = compute_api_rates(EVENTS, minutes=15)
    assert rates.requests_per_second == (120 + 4 + 30) / 900
    assert rates.rows_per_second == 180 / 900
    assert rates.rejected_row_share == 3 / 180
    assert (rates.refused, rates.throttled) == (5, 7)
    assert compute_api_rates([], 15).rejected_row_share is None


def test_token_use_and_freshness() -> None:
    use = compute_token_use(EVENTS).set_index("token")
    frame = pd.DataFrame(EVENTS)
    assert use.loc["svc", "requests"] == frame.loc[frame["token"] == "svc", "requests"].sum()
    assert use.loc["svc", "refused (401/403)"] == 1 and use.loc["anonymous", "refused (401/403)"] == 4
    assert use.loc["svc", "last use (UTC)"] == pd.Timestamp("2026-05-01T10:00:15")
    assert compute_token_use([]).empty
    now = dt.datetime(2026, 5, 1, 11, 0)
    table = compute_freshness_table({"api": {"last_at": "2026-05-01T10:30:00", "stored": 9, "rejected": 1}}, now)
    api = table[table["source"] == "HTTP API"].iloc[0]
    assert api["minutes ago"] == 30.0 and api["rows stored"] == 9
    assert table["last write (UTC)"].isna().sum() == 2
