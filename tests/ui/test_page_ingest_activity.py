"""Overview shows each source's freshness and the API's rates; Audit lists token use and refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboard.ingest.service import FileReport, record_ingest_batch
from dashboard.store import Store
from dashboard.store.audit import record_audit
from tests.support.apptest import errors, open_page
from tests.support.tiny_impact import build_tiny_store


def _store(root: Path) -> Store:
    store = build_tiny_store(root)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    record_ingest_batch(store, "file", "predictions", [FileReport(path="f.csv", rows=11, stored=11)])
    record_ingest_batch(store, "api", "predictions", [FileReport(path="api", rows=300, stored=297, rejected=3)],
                        batches=40)
    for token, requests, statuses in (("scoring", 600, {"200": 597, "422": 3}), ("anonymous", 6, {"401": 6})):
        store.append_event("api_access", {"token": token, "window_seconds": 60.0, "requests": requests,
                                          "statuses": statuses, "routes": {"/v1/predictions": requests},
                                          "rows": 300 if token == "scoring" else 0,
                                          "rejected_rows": 3 if token == "scoring" else 0},
                           actor=token, at=now - dt.timedelta(minutes=2))
    record_audit(store, "anonymous", None, "api_refused", detail={"route": "/v1/predictions", "status": "401",
                                                                  "reason": "no token", "count": "6"})
    return store


def test_overview_shows_sources_and_api_rates(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    at = open_page(store.root, "admin")
    assert errors(at) == []
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["API requests/s, last 15 min"] == f"{606 / 900:,.2f}"
    assert metrics["Rejected rows"] == "1.00%"
    assert metrics["Refused requests (401/403)"] == "6"
    sources = next(d.value for d in at.dataframe if "source" in d.value.columns).set_index("source")
    assert sources.loc["HTTP API", "rows stored"] == 297 and sources.loc["file ingest (dashboard ingest)",
                                                                           "rows stored"] == 11
    assert "Python (Monitor)" not in sources.index   # never wrote: named in a line, no empty cells
    assert any(c.value == "No write yet from: Python (Monitor)." for c in at.caption)


def test_audit_lists_token_use_and_refusals(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    at = open_page(store.root, "admin", "audit")
    assert errors(at) == []
    use = next(d.value for d in at.dataframe if "token" in d.value.columns).set_index("token")
    assert use.loc["scoring", "requests"] == 600 and use.loc["anonymous", "refused (401/403)"] == 6
    trail = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert "api_refused" in set(trail["action"])
