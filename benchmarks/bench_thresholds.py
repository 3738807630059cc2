"""Benchmark: one move of the threshold lever, on stores of different sizes.

A move recomputes everything the Thresholds page shows for a new cutoff: the chosen and the
in-force figures, fairness by group, the curves over all cutoffs (with the profit optimum)
and the adverse-impact curves. The per-bin arrays are loaded once per (model, window) and
timed separately. Run:

    .venv/bin/python benchmarks/bench_thresholds.py /tmp/store-90k /tmp/store-1m

Writes benchmarks/results/thresholds-<date>.json and prints the medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from dashboard.analytics.thresholds import (
    ThresholdBins,
    compute_fairness,
    compute_fairness_curves,
    compute_profit_optimal,
    compute_threshold_curves,
    compute_threshold_figures,
)
from dashboard.store import Store
from dashboard.store.assumptions import assumptions_in_force
from dashboard.store.thresholds import load_threshold_bins

RESULTS = Path(__file__).resolve().parent / "results"


def one_move(bins: ThresholdBins, cutoff: float, review_from: float | None, a: Any) -> float | None:
    compute_threshold_figures(bins.scores, cutoff, review_from, a)
    compute_threshold_figures(bins.scores, 0.15, None, a)
    compute_fairness(bins.groups, cutoff, review_from, a)
    width = 0.0 if review_from is None else cutoff - review_from
    optimum = compute_profit_optimal(compute_threshold_curves(bins.scores, a, width))
    compute_fairness_curves(bins.groups, a, width)
    return optimum


def bench_store(path: Path, model_id: str, moves: int) -> dict[str, Any]:
    store = Store(path, create=False)
    a = assumptions_in_force(store)
    start = time.perf_counter()
    store.refresh()
    refresh_s = time.perf_counter() - start
    loads = []
    bins = None
    for _ in range(3):
        start = time.perf_counter()
        bins = load_threshold_bins(store, model_id)
        loads.append(time.perf_counter() - start)
    assert bins is not None
    rng = np.random.default_rng(0)
    timings = []
    for _ in range(moves):
        cutoff = float(rng.uniform(0.05, 0.6))
        review = cutoff - 0.03 if rng.random() < 0.5 else None
        start = time.perf_counter()
        one_move(bins, cutoff, max(review, 0.0) if review is not None else None, a)
        timings.append(time.perf_counter() - start)
    return {"store": str(path), "model_id": model_id, "applications": bins.scores.total,
            "labelled": bins.scores.labelled, "rollup_refresh_s": round(refresh_s, 4),
            "load_bins_median_s": round(statistics.median(loads), 4),
            "move_median_ms": round(statistics.median(timings) * 1000, 3),
            "move_p90_ms": round(float(np.percentile(timings, 90)) * 1000, 3),
            "move_max_ms": round(max(timings) * 1000, 3), "moves": moves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stores", nargs="+", type=Path, help="store folders, smallest first")
    parser.add_argument("--model", default="gbm_champion")
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    rows = [bench_store(p, args.model, args.moves) for p in args.stores]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"thresholds-{dt.date.today():%Y-%m-%d}.json"
    payload = {"benchmark": "one threshold-lever move (every figure, fairness and all curves)",
               "machine": "shared 2-core VM", "results": rows}
    out.write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    for r in rows:
        print(f"{r['applications']:>10,} applications: move median {r['move_median_ms']:.2f} ms "
              f"(p90 {r['move_p90_ms']:.2f}), bins load {r['load_bins_median_s'] * 1000:.0f} ms")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
