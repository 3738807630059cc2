"""The API's recent request and reject rates and each source's freshness, from activity events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

REFUSED = ("401", "403")


@dataclass(frozen=True)
class ApiRates:
    minutes: float              # the span the rates are over
    requests_per_second: float
    rows_per_second: float
    rejected_row_share: float | None   # rejected rows over rows received (None: no rows)
    refused: int                # 401 and 403 answers
    throttled: int              # 429 answers


def compute_api_rates(events: Sequence[Mapping[str, Any]], minutes: float) -> ApiRates:
    """Rates over the last `minutes` from `api_access` events (each counts one token's span)."""
    requests = sum(int(e.get("requests", 0)) for e in events)
    rows = sum(int(e.get("rows", 0)) for e in events)
    rejected = sum(int(e.get("rejected_rows", 0)) for e in events)
    statuses: dict[str, int] = {}
    for e in events:
        for code, n in (e.get("statuses") or {}).items():
            statuses[code] = statuses.get(code, 0) + int(n)
    seconds = minutes * 60
    return ApiRates(minutes, requests / seconds, rows / seconds, rejected / rows if rows else None,
                    sum(statuses.get(c, 0) for c in REFUSED), statuses.get("429", 0))


def compute_freshness_table(latest: Mapping[str, Mapping[str, Any]], now: dt.datetime) -> pd.DataFrame:
    """One row per source: its last write, how long ago, and what it stored then."""
    names = {"file": "file ingest (dashboard ingest)", "api": "HTTP API", "python": "Python (Monitor)"}
    rows: list[dict[str, Any]] = []
    for source in ("file", "api", "python"):
        event = latest.get(source)
        if event is None:
            rows.append({"source": names[source], "last write (UTC)": None, "minutes ago": None,
                         "rows stored": None, "rows rejected": None})
            continue
        at = pd.Timestamp(str(event.get("last_at") or event.get("at")))
        rows.append({"source": names[source], "last write (UTC)": at,
                     "minutes ago": round((pd.Timestamp(now) - at).total_seconds() / 60, 1),
                     "rows stored": int(event.get("stored", 0)), "rows rejected": int(event.get("rejected", 0))})
    return pd.DataFrame(rows)


def compute_token_use(events: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Per token: requests, rows, rejected rows, refusals and the last use, from `api_access` events."""
    rows: list[dict[str, Any]] = []
    for e in events:
        statuses = e.get("statuses") or {}
        rows.append({"token": e.get("token"), "requests": int(e.get("requests", 0)), "rows": int(e.get("rows", 0)),
                     "rejected rows": int(e.get("rejected_rows", 0)),
                     "refused (401/403)": sum(int(statuses.get(c, 0)) for c in REFUSED),
                     "last use (UTC)": pd.Timestamp(str(e.get("at")))})
    columns = ["token", "requests", "rows", "rejected rows", "refused (401/403)", "last use (UTC)"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    return (frame.groupby("token", as_index=False)
            .agg({"requests": "sum", "rows": "sum", "rejected rows": "sum", "refused (401/403)": "sum",
                  "last use (UTC)": "max"})[columns].sort_values("requests", ascending=False, ignore_index=True))
