"""Ingest activity for Overview and Audit: each source's freshness, the API's recent rates, token use."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.analytics.ingest_activity import (
    ApiRates,
    compute_api_rates,
    compute_freshness_table,
    compute_token_use,
)
from dashboard.store import Store
from dashboard.store.activity import load_events_since, load_latest_ingest_by_source

RATE_MINUTES = 15


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def load_source_freshness(store: Store) -> pd.DataFrame:
    return compute_freshness_table(load_latest_ingest_by_source(store), _now())


def load_api_rates(store: Store, minutes: float = RATE_MINUTES) -> ApiRates:
    since = _now() - dt.timedelta(minutes=minutes)
    return compute_api_rates(load_events_since(store, "api_access", since), minutes)


def load_token_use(store: Store, start: dt.date, end: dt.date) -> pd.DataFrame:
    since = dt.datetime.combine(start, dt.time())
    until = (dt.datetime.combine(end, dt.time()) + dt.timedelta(days=1)).isoformat()
    events = [e for e in load_events_since(store, "api_access", since) if str(e.get("at", "")) < until]
    return compute_token_use(events)
