"""Group commit over real sockets: an acknowledged row survives kill -9, and SIGTERM loses none."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from dashboard.store import Store
from tests.api.test_api import stored_ids
from tests.support.live_api import LiveApi, prediction, start_api


def _stream(api: LiveApi, start: int, stop: threading.Event, acked: list[str], workers: int = 8) -> None:
    """Single-decision requests from `workers` threads until `stop`; ids answered 200 go in `acked`."""
    counter = iter(range(start, start + 1_000_000))
    lock = threading.Lock()

    def loop() -> None:
        while not stop.is_set():
            with lock:
                i = next(counter)
            try:
                status, _, _ = api.post("/v1/predictions", orjson.dumps(prediction(i)))
            except OSError:   # the server went away mid-request: not acknowledged
                return
            if status == 200:
                acked.append(f"p{i}")

    with ThreadPoolExecutor(workers) as pool:
        for _ in range(workers):
            pool.submit(loop)


@pytest.mark.slow
def test_kill_9_keeps_every_acknowledged_row_once(tmp_path: Path) -> None:
    api = start_api(tmp_path)
    acked: list[str] = []
    stop = threading.Event()
    streaming = threading.Thread(target=_stream, args=(api, 0, stop, acked))
    streaming.start()
    deadline = time.monotonic() + 20
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    api.proc.send_signal(signal.SIGKILL)
    api.proc.wait(10)
    stop.set()
    streaming.join(30)
    assert len(acked) >= 300
    ids = stored_ids(api.store_dir)
    assert set(acked) <= set(ids)
    assert len(ids) == len(set(ids))          # nothing stored twice
    # The next start repairs the rollups the killed process had not refreshed.
    again = start_api(tmp_path)
    again.stop()
    daily = Store(api.store_dir).read_rollup("daily")
    assert int(daily["n"].sum()) == len(ids)
    assert not list((api.store_dir / "rollups" / ".pending").glob("*.json"))


@pytest.mark.slow
def test_sigterm_with_pending_rows_loses_none(tmp_path: Path) -> None:
    # Long batches: many requests wait in the buffer when the signal comes.
    api = start_api(tmp_path, {"DASHBOARD_API_BATCH_MS": "400", "DASHBOARD_API_BATCH_ROWS": "100000"})
    acked: list[str] = []
    stop = threading.Event()
    streaming = threading.Thread(target=_stream, args=(api, 0, stop, acked, 16))
    streaming.start()
    time.sleep(1.5)
    in_buffer = orjson.loads(api.get("/healthz")[1])["buffered_rows"]
    assert api.stop(signal.SIGTERM) in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    stop.set()
    streaming.join(30)
    ids = stored_ids(api.store_dir)
    assert in_buffer >= 0 and len(acked) > 0
    assert set(acked) <= set(ids) and len(ids) == len(set(ids))
    daily = Store(api.store_dir).read_rollup("daily")
    assert int(daily["n"].sum()) == len(ids)
