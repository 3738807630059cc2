"""Shared benchmark helpers: big stores built once with the project's own sample code."""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dashboard.ingest.demo import build_demo_store
from dashboard.sample.generator import CHUNKED_ABOVE, generate_portfolio, generate_portfolio_chunks
from dashboard.store import Store
from dashboard.store.portfolio import write_portfolio, write_portfolio_chunks

HERE = Path(__file__).resolve().parent
STORES = HERE / "stores"      # git-ignored
RESULTS = HERE / "results"


def ensure_portfolio(applications: int, seed: int = 7) -> Path:
    """A generated portfolio of `applications` applications (reused when present)."""
    out = STORES / f"portfolio-{applications}"
    if not (out / "manifest.json").exists():
        say = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)  # noqa: E731
        if applications > CHUNKED_ABOVE:  # same path as `dashboard sample`: 1M-application chunks
            write_portfolio_chunks(out, generate_portfolio_chunks(applications, seed, progress=say))
        else:
            write_portfolio(out, generate_portfolio(applications, seed, progress=say))
    return out


def ensure_store(applications: int) -> Path:
    """A store with `applications` x 3 models ingested (reused when present)."""
    root = STORES / f"store-{applications}"
    if not (root / ".built").exists():
        portfolio = ensure_portfolio(applications)
        start = time.perf_counter()
        build_demo_store(Store(root), portfolio)
        seconds = time.perf_counter() - start
        # the build is an ingest of every file of the portfolio: keep its throughput
        rows = int(Store(root, create=False).sql("SELECT sum(n) AS n FROM r_daily")["n"][0])
        (root / ".built").write_text(json.dumps({"seconds": round(seconds, 1), "prediction_rows": rows,
                                                 "rows_per_s": round(rows / seconds)}))
    return root


def timeit(fn: Callable[[], Any], repeat: int = 20) -> dict[str, float]:
    """Median, min and max wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "runs": repeat}


def machine() -> dict[str, Any]:
    import os
    return {"python": platform.python_version(), "cpu_count": os.cpu_count(), "machine": platform.machine(),
            "system": platform.system(), "processor": platform.processor()}


def write_results(area: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{area}-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps({"area": area, "date": dt.datetime.now().isoformat(timespec="seconds"),
                                "machine": machine(), "figures": figures}, indent=2, default=str))
    return path
