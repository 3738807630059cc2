"""What the API served, counted in memory and written as a few events every few seconds: one
`api_access` event per token, one `ingest_batch` per log, and one audit event per kind of
refusal (with its count), never one event per request."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from dashboard.ingest.service import FileReport, record_ingest_batch
from dashboard.services.audit import record_audit
from dashboard.store import Store

ANONYMOUS = "anonymous"
log = logging.getLogger(__name__)


@dataclass
class _TokenCounts:
    requests: int = 0
    rows: int = 0
    rejected_rows: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)


@dataclass
class _LogCounts:
    rows: int = 0
    stored: int = 0
    skipped: int = 0
    rejected: int = 0
    batches: int = 0
    first_at: dt.datetime | None = None


class Activity:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._since = time.monotonic()
        self._tokens: dict[str, _TokenCounts] = defaultdict(_TokenCounts)
        self._logs: dict[str, _LogCounts] = defaultdict(_LogCounts)
        self._refusals: Counter[tuple[str, str, int, str]] = Counter()  # (who, route, status, why)

    def request(self, token: str, route: str, status: int, rows: int = 0, rejected: int = 0) -> None:
        with self._lock:
            counts = self._tokens[token]
            counts.requests += 1
            counts.rows += rows
            counts.rejected_rows += rejected
            counts.statuses[str(status)] += 1
            counts.routes[route] += 1

    def refused(self, who: str, route: str, status: int, why: str) -> None:
        with self._lock:
            self._refusals[(who, route, status, why)] += 1

    def written(self, kind: str, rows: int, stored: int, skipped: int, rejected: int) -> None:
        with self._lock:
            counts = self._logs[kind]
            counts.first_at = counts.first_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
            counts.rows += rows
            counts.stored += stored
            counts.skipped += skipped
            counts.rejected += rejected
            counts.batches += 1

    def flush(self, store: Store) -> int:
        """Write the counts gathered since the last flush as events; the number written."""
        with self._lock:
            window = time.monotonic() - self._since
            tokens, logs, refusals = self._tokens, self._logs, self._refusals
            self._reset()
        written = 0
        try:
            for name, c in sorted(tokens.items()):
                store.append_event("api_access", {
                    "token": name, "window_seconds": round(window, 3), "requests": c.requests,
                    "statuses": dict(c.statuses), "routes": dict(c.routes), "rows": c.rows,
                    "rejected_rows": c.rejected_rows}, actor=name)
                written += 1
            for kind, lc in sorted(logs.items()):
                report = FileReport(path="api", rows=lc.rows, stored=lc.stored, skipped_existing=lc.skipped,
                                    rejected=lc.rejected)
                record_ingest_batch(store, "api", kind, [report], batches=lc.batches, first_at=lc.first_at)
                written += 1
            for (who, route, status, why), count in sorted(refusals.items()):
                record_audit(store, who, None, "api_refused",
                             detail={"route": route, "status": str(status), "reason": why, "count": str(count),
                                     "window_seconds": f"{window:.1f}"})
                written += 1
        except OSError as exc:
            log.warning("could not record the API's activity: %s", exc)
        return written
