"""The ingest API over real sockets: uvicorn in a subprocess on 127.0.0.1, one server per module."""

from __future__ import annotations

import io
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.store import Store
from tests.support.live_api import LiveApi, prediction, start_api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    server = start_api(tmp_path_factory.mktemp("api"), {"DASHBOARD_API_MAX_BODY_BYTES": "200000"})
    yield server
    server.stop()


def stored_ids(store_dir: Path) -> list[str]:
    files = sorted((store_dir / "predictions").glob("model_id=*/date=*/part-*.parquet"))
    return [i for f in files for i in pq.read_table(f, columns=["prediction_id"]).column(0).to_pylist()]


def test_tokens_scopes_and_limits(api: LiveApi) -> None:
    body = orjson.dumps(prediction(1))
    status, answer, headers = api.post("/v1/predictions", body, token=None)
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    assert api.post("/v1/predictions", body, token="not-a-token")[0] == 401
    assert api.post("/v1/predictions", body, token="scraper")[0] == 403
    assert api.post("/v1/predictions", b"{" * 10, content_type="application/json")[0] == 400
    assert api.post("/v1/predictions", body, content_type="text/csv")[0] == 415
    big = orjson.dumps([prediction(i) for i in range(2_000)])
    assert len(big) > 200_000
    assert api.post("/v1/predictions", big)[0] == 413
    assert api.get("/metrics", "writer")[0] == 403
    assert api.get("/healthz")[0] == 200
    assert json.loads(api.get("/openapi.json")[1])["paths"].keys() >= {"/v1/predictions", "/v1/outcomes"}
    assert "p1" not in stored_ids(api.store_dir)


def test_single_rows_arrays_and_lines_are_stored_once(api: LiveApi) -> None:
    status, answer, _ = api.post("/v1/predictions", orjson.dumps(prediction(10)))
    assert (status, answer) == (200, {"stored": 1, "skipped": 0, "rejected": 0})
    assert api.post("/v1/predictions", orjson.dumps(prediction(10)))[1]["skipped"] == 1   # a retry
    status, answer, _ = api.post("/v1/predictions", orjson.dumps([prediction(i) for i in range(11, 16)]))
    assert answer["stored"] == 5
    lines = b"\n".join(orjson.dumps(prediction(i)) for i in range(16, 19))
    assert api.post("/v1/predictions", lines, content_type="application/x-ndjson")[1]["stored"] == 3
    ids = stored_ids(api.store_dir)
    assert sorted(i for i in ids if i in {f"p{k}" for k in range(10, 19)}) == sorted(f"p{k}" for k in range(10, 19))
    assert len(ids) == len(set(ids))


def test_bad_rows_get_422_with_reasons_and_good_rows_are_stored(api: LiveApi) -> None:
    rows = [prediction(20), prediction(21, score=1.7), prediction(22), prediction(23, model_id="nobody")]
    status, answer, _ = api.post("/v1/predictions", orjson.dumps(rows))
    assert status == 422
    assert (answer["stored"], answer["rejected"]) == (2, 2)
    reasons = {e["row"]: e["reason"] for e in answer["errors"]}
    assert set(reasons) == {2, 4}
    assert "score: expected a probability between 0 and 1, got" in reasons[2] and "1.7" in reasons[2]
    assert "model_id: expected a registered model" in reasons[4]
    kept = pd.read_parquet(Path(answer["quarantine"]) / "rows.parquet")
    assert {"p21", "p23"} <= set(kept["prediction_id"])
    assert {"p20", "p22"} <= set(stored_ids(api.store_dir)) and "p21" not in stored_ids(api.store_dir)


def test_bulk_parquet_and_arrow_and_outcomes(api: LiveApi) -> None:
    frame = pd.DataFrame([prediction(i) for i in range(100, 400)])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize(None)
    sink = io.BytesIO()
    frame.to_parquet(sink, index=False)
    status, answer, _ = api.post("/v1/predictions", sink.getvalue(), content_type="application/vnd.apache.parquet")
    assert (status, answer["stored"]) == (200, 300)
    arrow = io.BytesIO()
    table = pa.Table.from_pandas(pd.DataFrame([prediction(i) for i in range(400, 450)]), preserve_index=False)
    with pa.ipc.new_stream(arrow, table.schema) as writer:
        writer.write_table(table)
    status, answer, _ = api.post("/v1/predictions", arrow.getvalue(),
                                 content_type="application/vnd.apache.arrow.stream")
    assert (status, answer["stored"]) == (200, 50)
    outcome = {"application_id": "a100", "outcome_timestamp": "2026-11-01T00:00:00Z", "label": 1}
    assert api.post("/v1/outcomes", orjson.dumps(outcome))[1]["stored"] == 1
    assert api.post("/v1/outcomes", orjson.dumps(outcome), token="scraper")[0] == 403
    ids = stored_ids(api.store_dir)
    assert set(ids) >= {f"p{i}" for i in range(100, 450)} and len(ids) == len(set(ids))


def test_metrics_parse_and_count(api: LiveApi) -> None:
    api.post("/v1/predictions", orjson.dumps(prediction(500)))
    status, text = api.get("/metrics", "scraper")
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(text.decode())}
    requests = {(s.labels["route"], s.labels["status"]): s.value for s in families["dashboard_api_requests"].samples
                if s.name.endswith("_total")}
    assert requests[("/v1/predictions", "200")] >= 1 and requests[("/v1/predictions", "401")] >= 2
    assert "dashboard_api_write_seconds" in families and "dashboard_api_buffer_rows" in families
    # the per-model figures (services/metrics.py) are served beside the service's counters
    models = {s.labels["model"] for s in families["dashboard_model_info"].samples}
    assert models == {row["model_id"] for row in [prediction(500)]}


@pytest.mark.slow
def test_sigterm_writes_activity_events_and_rollups(tmp_path: Path) -> None:
    api = start_api(tmp_path, {"DASHBOARD_API_ROLLUP_SECONDS": "3600"})  # only the exit refreshes
    rows = [prediction(i) for i in range(30)]
    for row in rows:
        assert api.post("/v1/predictions", orjson.dumps(row))[0] == 200
    api.post("/v1/predictions", orjson.dumps(rows[0]), token=None)
    assert api.stop(signal.SIGTERM) in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    store = Store(tmp_path / "store")
    daily = store.read_rollup("daily")
    assert int(daily["n"].sum()) == 30
    access = store.read_events("api_access")
    assert sum(e["requests"] for e in access if e["token"] == "writer") == 30
    refused = store.read_events("audit", lambda e: e.get("action") == "api_refused")
    assert refused and refused[0]["detail"]["status"] == "401"
    batch = store.read_events("ingest_batch")
    assert sum(e["stored"] for e in batch if e["source"] == "api") == 30
    assert not list((tmp_path / "store" / "rollups" / ".pending").glob("*.json"))


@pytest.mark.slow
def test_a_full_buffer_answers_429_with_retry_after(tmp_path: Path) -> None:
    import threading

    api = start_api(tmp_path, {"DASHBOARD_API_BUFFER_ROWS": "1", "DASHBOARD_API_BATCH_MS": "800",
                               "DASHBOARD_API_BATCH_ROWS": "100000"})
    try:
        first: list[int] = []
        waiting = threading.Thread(target=lambda: first.append(api.post("/v1/predictions",
                                                                        orjson.dumps(prediction(1)))[0]))
        waiting.start()
        deadline = time.monotonic() + 5
        while orjson.loads(api.get("/healthz")[1])["buffered_rows"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        status, _, headers = api.post("/v1/predictions", orjson.dumps(prediction(2)))
        assert status == 429 and headers["retry-after"] == "1"
        waiting.join(10)
        assert first == [200]
    finally:
        api.stop()
