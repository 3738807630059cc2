"""Throughput of the ingest API (issue 18, item 5), over real sockets on 127.0.0.1.

Single decisions: `wrk` (Debian's package; installed with apt-get when missing, skipped with a
message when it cannot be) sends one JSON decision per request with a unique id, for a bounded
time, from one thread; every 200 is then looked up in the store (acknowledged rows lost).
Bulk: Parquet bodies of 200,000 rows, rows/s from the first byte sent to the last answer.
The API runs as `dashboard api` in a subprocess.

--demo: the store is a copy of the demo store (`dashboard demo`: the sample's three models,
built once into --demo-cache), and the decisions are for its champion, with the features of
one of its stored rows; without it, an empty store with the tiny test model.
--with-app: `dashboard serve` serves the same store meanwhile; --browser: the Overview page is
open in headless Chromium (Playwright) on that server, redrawing itself at the live refresh
interval (DASHBOARD_REFRESH_SECONDS, default here 5 s); otherwise another process redraws it
with Streamlit's AppTest every 10 s (the server side of an open page).

Run:  .venv/bin/python benchmarks/bench_api.py --seconds 60 [--connections 64] [--with-app
      [--browser]] [--demo]
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
import threading
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
  local body = '{"prediction_id":"' .. id .. '","application_id":"' .. id .. '",' .. REST
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

# Overview open in headless Chromium for `seconds`, redrawing itself (its live-refresh fragment);
# prints how many exception boxes it showed at the end and saves a screenshot.
BROWSER = """
import sys, time
sys.path.insert(0, {root!r})
from playwright.sync_api import sync_playwright
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, is_idle
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={{"width": 1400, "height": 1000}})
    page.goto({url!r} + "/?role=admin")
    print("idle", is_idle(page, 180), flush=True)
    end = time.monotonic() + {seconds}
    while time.monotonic() < end:
        time.sleep(1)
    page.screenshot(path={shot!r}, full_page=True)
    print("exceptions", page.locator('[data-testid="stException"]').count(), flush=True)
    browser.close()
"""
PREFIX = "w"   # the ids wrk sends start with it


def stored_ids(store_dir: Path) -> list[str]:
    """The prediction ids the load generator sent that the store holds (repeats included)."""
    files = sorted((store_dir / "predictions").glob("model_id=*/date=*/part-*.parquet"))
    ids = (i for f in files for i in pq.read_table(f, columns=["prediction_id"]).column(0).to_pylist())
    return [i for i in ids if i.startswith(PREFIX)]


def demo_template(store_dir: Path, model_id: str = "gbm_champion") -> dict[str, Any]:
    """A decision of `model_id` as a JSON record without its ids: one of the store's own rows,
    dated the day after its last one."""
    files = sorted((store_dir / "predictions" / f"model_id={model_id}").glob("date=*/part-*.parquet"))
    row = pq.read_table(files[-1]).slice(0, 1).to_pylist()[0]
    record = {k: v for k, v in row.items() if k not in ("prediction_id", "application_id") and v is not None}
    record["model_id"] = model_id
    record["timestamp"] = (pd.Timestamp(files[-1].parent.name[5:]) + pd.Timedelta(days=1, hours=10)).isoformat()
    return record


def tiny_template() -> dict[str, Any]:
    return {"model_id": "tiny", "timestamp": "2026-05-01T10:00:00", "score": 0.2, "decision": "approve",
            "x1": 1.5, "sex": "F", "latency_ms": 10.0}


def lua_script(template: dict[str, Any]) -> str:
    rest = json.dumps(template, default=str)[1:]   # the record after its opening brace
    return f"REST = [==[{rest}]==]\n{LUA}"


def build_store(store_dir: Path, demo: bool, cache: Path) -> dict[str, Any]:
    """The store the API writes to, and the decision template."""
    if not demo:
        Store(store_dir).register_model(parse_card(tiny_card(), "tiny"))
        return tiny_template()
    if not (cache / ".demo-built").exists():
        subprocess.run([sys.executable, "-m", "dashboard.cli", "--store", str(cache), "demo"], check=True)
    subprocess.run(["cp", "-a", str(cache), str(store_dir)], check=True)
    return demo_template(store_dir)


def sample_load(samples: list[float], stop: threading.Event) -> None:
    while not stop.wait(5):
        samples.append(os.getloadavg()[0])


def bulk(port: int, secret: str, rows: int, parts: int, template: dict[str, Any]) -> dict[str, float]:
    n = rows * parts
    frame = pd.DataFrame({"prediction_id": [f"b{i}" for i in range(n)], "application_id": [f"ba{i}" for i in range(n)],
                          **{k: [v] * n for k, v in template.items()}})
    frame["timestamp"] = pd.Timestamp(template["timestamp"]) - pd.Timedelta(hours=1)
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


def start_viewer(args: argparse.Namespace, store_dir: Path, app_port: int, work: Path,
                 env: dict[str, str]) -> subprocess.Popen[bytes]:
    root = str(Path(__file__).resolve().parents[1])
    if args.browser:
        code = BROWSER.format(root=root, url=f"http://127.0.0.1:{app_port}", seconds=args.seconds + 20,
                              shot=str(Path(args.screenshot).resolve()))
        return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=(work / "viewer.out").open("wb"),
                                stderr=(work / "viewer.log").open("ab"))
    code = VIEWER.format(root=root, seconds=args.seconds + 30, store=str(store_dir))
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=(work / "viewer.log").open("ab"))


def single_decisions(args: argparse.Namespace, port: int, env: dict[str, str], work: Path, store_dir: Path,
                     template: dict[str, Any]) -> dict[str, Any] | None:
    wrk = ensure_wrk()
    if wrk is None:
        print("wrk is not installed and apt-get could not install it: single-decision figures skipped")
        return None
    script = work / "post.lua"
    script.write_text(lua_script(template))
    done = subprocess.run([wrk, "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
                           "-s", str(script), f"http://127.0.0.1:{port}"], env=env, capture_output=True,
                          text=True, timeout=args.seconds + 120, check=True)
    single: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    ids = stored_ids(store_dir)
    acked = single["requests"] - single["non_2xx"]
    single.update({"req_per_s": single["requests"] / single["seconds"], "acked": acked,
                   "stored": len(set(ids)), "stored_twice": len(ids) - len(set(ids)),
                   "lost": max(0, acked - len(set(ids)))})
    return single


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    store_dir = work / "store"
    template = build_store(store_dir, args.demo, Path(args.demo_cache).resolve())
    secret = add_token(work / "tokens.json", "bench", ["predictions", "outcomes", "metrics"])
    env = {**os.environ, "DASHBOARD_API_TOKENS": str(work / "tokens.json"), "API_TOKEN": secret}
    env.setdefault("DASHBOARD_REFRESH_SECONDS", "5")
    port = free_port()
    cli = [sys.executable, "-m", "dashboard.cli", "--store", str(store_dir)]
    procs = []
    result: dict[str, Any] = {"seconds": args.seconds, "connections": args.connections, "with_app": args.with_app,
                              "browser": args.browser, "demo": args.demo, "cpus": os.cpu_count(),
                              "load_before": os.getloadavg()}
    samples: list[float] = []
    stop = threading.Event()
    try:
        if args.with_app:
            app_port = free_port()
            procs.append(start([*cli, "serve", "--port", str(app_port)], env, app_port, work / "app.log"))
            procs.append(start_viewer(args, store_dir, app_port, work, env))
            if args.browser:   # the page drawn once before the load starts
                deadline = time.monotonic() + 200
                while "idle" not in (work / "viewer.out").read_text() and time.monotonic() < deadline:
                    time.sleep(1)
        procs.append(start([*cli, "api", "--port", str(port)], env, port, work / "api.log"))
        threading.Thread(target=sample_load, args=(samples, stop), daemon=True).start()
        result["single"] = single_decisions(args, port, env, work, store_dir, template)
        result["load_1min_during"] = {"min": min(samples, default=0), "max": max(samples, default=0),
                                      "mean": sum(samples) / max(1, len(samples))}
        result["bulk_parquet"] = bulk(port, secret, 200_000, 3, template)
    finally:
        stop.set()
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    if args.browser and (work / "viewer.out").exists():
        result["browser_viewer"] = (work / "viewer.out").read_text().split()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--with-app", action="store_true")
    parser.add_argument("--browser", action="store_true", help="with --with-app: Overview open in headless Chromium")
    parser.add_argument("--demo", action="store_true", help="a copy of the demo store, decisions of its champion")
    parser.add_argument("--demo-cache", default="var/bench-demo-store", help="where the demo store is built once")
    parser.add_argument("--screenshot", default="var/bench-api-overview.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        print(json.dumps(run(args, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
