"""Throughput of the ingest API (issue 18, item 5), over real sockets on 127.0.0.1.

Single decisions: `wrk` (Debian's package; installed with apt-get when missing, skipped with a
message when it cannot be) sends one JSON decision per request with a unique id, for a bounded
time, from one thread; every 200 is then looked up in the store (acknowledged rows lost).
Bulk: Parquet bodies of 200,000 rows, rows/s from the first byte sent to the last answer.
The API runs as `dashboard api` in a subprocess; with --with-app, `dashboard serve` serves
the same store meanwhile and another process redraws the Overview page (Streamlit's AppTest,
the server side of an open page) every 10 s, as an open browser tab's live refresh does.

Run:  .venv/bin/python benchmarks/bench_api.py --seconds 60 [--connections 64] [--with-app]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.api.auth import add_token
from dashboard.models.card import parse_card
from dashboard.store import Store
from tests.support.browser import free_port
from tests.support.tiny_impact import tiny_card

LUA = r"""
local counter, threads = 0, {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
function init(args) prefix = "w" .. tid .. "-" .. os.time() .. "-" end
request = function()
  counter = counter + 1
  local id = prefix .. counter
  local body = '{"prediction_id":"' .. id .. '","model_id":"tiny","timestamp":"2026-05-01T10:00:00Z",' ..
    '"application_id":"' .. id .. '","score":0.2,"decision":"approve","x1":1.5,"sex":"F","latency_ms":10}'
  return wrk.format("POST", "/v1/predictions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("API_TOKEN")}, body)
end
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "non_2xx": %d, "errors": %d, "seconds": %f, "p50_ms": %f, ' ..
    '"p90_ms": %f, "p99_ms": %f, "max_ms": %f}\n', summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


def ensure_wrk() -> str | None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, check=False)
    return shutil.which("wrk")


def start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz" if "api" in cmd else
                                   f"http://127.0.0.1:{port}/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{' '.join(cmd)} did not start: see {log}")


VIEWER = """
import sys, time
sys.path.insert(0, {root!r})
from tests.support.apptest import open_page
end = time.monotonic() + {seconds}
while time.monotonic() < end:
    open_page({store!r}, "admin")
    time.sleep(10)
"""


def stored_ids(store_dir: Path) -> list[str]:
    files = sorted((store_dir / "predictions").glob("model_id=*/date=*/part-*.parquet"))
    return [i for f in files for i in pq.read_table(f, columns=["prediction_id"]).column(0).to_pylist()]


def bulk(port: int, secret: str, rows: int, parts: int) -> dict[str, float]:
    frame = pd.DataFrame({"prediction_id": [f"b{i}" for i in range(rows * parts)], "model_id": "tiny",
                          "timestamp": pd.Timestamp("2026-05-02 09:00"), "application_id": [f"ba{i}" for i in
                                                                                            range(rows * parts)],
                          "score": 0.3, "decision": "approve", "x1": 2.0, "sex": "M", "latency_ms": 9.0})
    bodies = []
    for k in range(parts):
        sink = io.BytesIO()
        frame.iloc[k * rows:(k + 1) * rows].to_parquet(sink, index=False)
        bodies.append(sink.getvalue())
    seconds = []
    for body in bodies:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/predictions", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {secret}",
                                                  "Content-Type": "application/vnd.apache.parquet"})
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as answer:
            assert answer.status == 200, answer.read()
        seconds.append(time.perf_counter() - began)
    ordered = sorted(seconds)
    return {"rows_per_body": rows, "bodies": parts, "median_s": ordered[len(ordered) // 2],
            "rows_per_s_median": rows / ordered[len(ordered) // 2], "body_mb": len(bodies[0]) / 1e6}


def run(seconds: int, connections: int, with_app: bool, work: Path) -> dict[str, Any]:
    store_dir = work / "store"
    Store(store_dir).register_model(parse_card(tiny_card(), "tiny"))
    secret = add_token(work / "tokens.json", "bench", ["predictions", "outcomes", "metrics"])
    env = {**os.environ, "DASHBOARD_API_TOKENS": str(work / "tokens.json"), "API_TOKEN": secret}
    port = free_port()
    cli = [sys.executable, "-m", "dashboard.cli", "--store", str(store_dir)]
    procs = []
    result: dict[str, Any] = {"seconds": seconds, "connections": connections, "with_app": with_app}
    try:
        if with_app:
            app_port = free_port()
            procs.append(start([*cli, "serve", "--port", str(app_port)], env, app_port, work / "app.log"))
            viewer = VIEWER.format(root=str(Path(__file__).resolve().parents[1]), seconds=seconds + 30,
                                   store=str(store_dir))
            procs.append(subprocess.Popen([sys.executable, "-c", viewer], env=env, stdout=subprocess.DEVNULL,
                                          stderr=(work / "viewer.log").open("ab")))
        procs.append(start([*cli, "api", "--port", str(port)], env, port, work / "api.log"))
        wrk = ensure_wrk()
        if wrk is None:
            print("wrk is not installed and apt-get could not install it: single-decision figures skipped")
        else:
            script = work / "post.lua"
            script.write_text(LUA)
            done = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                                   "-s", str(script), f"http://127.0.0.1:{port}"], env=env, capture_output=True,
                                  text=True, timeout=seconds + 120, check=True)
            single = json.loads(done.stdout.strip().splitlines()[-1])
            ids = stored_ids(store_dir)
            acked = single["requests"] - single["non_2xx"]
            single.update({"req_per_s": single["requests"] / single["seconds"], "acked": acked,
                           "stored": len(set(ids)), "stored_twice": len(ids) - len(set(ids)),
                           "lost": max(0, acked - len(set(ids)))})
            result["single"] = single
        result["bulk_parquet"] = bulk(port, secret, 200_000, 3)
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--with-app", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        print(json.dumps(run(args.seconds, args.connections, args.with_app, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
