"""Benchmark: a Prometheus scrape of the per-model metrics (services/metrics.py), cold and warm.

For each store:
- cold: a new process (imports done before the clock starts) creates the collector and
  scrapes once: the store's first rollup load, the figures of every model (the Overview's,
  Drift's and Performance's functions, the reference scored by the model) and the exposition;
- warm, synchronous (`background=False`): each scrape checks the store's version (a stat of
  every rollup, card and event file) and formats the cached figures;
- warm, background (`background=True`, the API's mode): a scrape formats the cached figures;
- a refresh: the figures recomputed on the open store (what a changed rollup costs, off the
  scrape path in background mode).

Usage:
  python benchmarks/bench_metrics.py                                   # the 1M and 10M stores of run.py
  python benchmarks/bench_metrics.py --store 1M=/path/to/store --repeats 50
Writes benchmarks/results/metrics-<date>.json and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import RESULTS, ensure_store, timeit  # noqa: E402
from dashboard.services.metrics import ModelMetricsCollector, compute_store_figures  # noqa: E402
from dashboard.services.performance import load_alert_config  # noqa: E402
from dashboard.services.stores import open_store  # noqa: E402

COLD = """
import sys, time
from prometheus_client import CollectorRegistry, generate_latest
from dashboard.services.metrics import ModelMetricsCollector
start = time.perf_counter()
registry = CollectorRegistry()
registry.register(ModelMetricsCollector(sys.argv[1], background=False))
text = generate_latest(registry)
print((time.perf_counter() - start) * 1000, len(text))
"""


def _cold(root: Path, rounds: int) -> dict[str, Any]:
    """The first scrape of a new process, `rounds` times (each bounded to 10 minutes)."""
    times = []
    size = 0
    for _ in range(rounds):
        proc = subprocess.run([sys.executable, "-c", COLD, str(root)], capture_output=True, text=True, timeout=600,
                              check=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
        ms, size_text = proc.stdout.split()
        times.append(float(ms))
        size = int(size_text)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1), "runs": rounds, "exposition_bytes": size}


def _scrape(collector: ModelMetricsCollector) -> int:
    return sum(len(family.samples) for family in collector.collect())


def bench_store(label: str, root: Path, repeats: int, cold_rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {"store": str(root), "cold_first_scrape": _cold(root, cold_rounds)}
    sync = ModelMetricsCollector(root, background=False)
    out["samples_per_scrape"] = _scrape(sync)
    out["warm_scrape_sync"] = {k: round(v, 2) for k, v in timeit(lambda: _scrape(sync), repeats).items()}
    background = ModelMetricsCollector(root, background=True, interval=60)
    try:
        _scrape(background)  # the first scrape waits for the first figures
        out["warm_scrape_background"] = {k: round(v, 3) for k, v in
                                         timeit(lambda: _scrape(background), repeats).items()}
    finally:
        background.close()
    store, config = open_store(root, create=False), load_alert_config()  # the collectors' store handle
    out["refresh"] = {k: round(v, 1) for k, v in timeit(lambda: compute_store_figures(store, config), 3).items()}
    print(f"{label}: cold {out['cold_first_scrape']['median_ms']} ms, warm sync "
          f"{out['warm_scrape_sync']['median_ms']} ms, warm background "
          f"{out['warm_scrape_background']['median_ms']} ms, refresh {out['refresh']['median_ms']} ms "
          f"({out['samples_per_scrape']} samples)", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", action="append", default=None, metavar="LABEL=DIR",
                        help="a store to measure (repeatable; default: run.py's 1M and 10M stores, built if missing)")
    parser.add_argument("--repeats", type=int, default=50, help="warm scrapes per mode (default 50)")
    parser.add_argument("--cold-rounds", type=int, default=3, help="new processes for the cold scrape (default 3)")
    args = parser.parse_args()
    stores = [tuple(s.partition("=")[::2]) for s in args.store] if args.store else \
        [("1M", str(ensure_store(1_000_000))), ("10M", str(ensure_store(10_000_000)))]
    results: dict[str, Any] = {"benchmark": "metrics scrape",
                               "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                               "load_average": os.getloadavg(), "repeats": args.repeats, "stores": {}}
    started = time.perf_counter()
    for label, path in stores:
        results["stores"][label] = bench_store(label, Path(path), args.repeats, args.cold_rounds)
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"metrics-{dt.date.today():%Y-%m-%d}.json"
    target.write_text(json.dumps(results, indent=2))
    print(f"written {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
