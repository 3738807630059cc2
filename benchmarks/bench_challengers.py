"""Benchmark: champion vs two challengers on shared applications (the Challengers page's work).

Usage: python benchmarks/bench_challengers.py STORE [--repeats 5]
Build the store first:
    dashboard sample --out /tmp/big --applications 1000000
    dashboard --store /tmp/big-store demo --sample /tmp/big

Times, each repeated: the shadow sample (the r_shadow rollup: per model and day the 300
applications with the lowest hash of application_id, joined by application_id), the
comparison on it (metrics with bootstrap intervals, curves, gains, profit, fairness, swap
sets), and both together ("cold" = first call in the process, the rollup table not loaded
yet). The page caches the result keyed by the store version, so a warm page view costs a
cache hit; that is measured too, as the unpickling of the cached result. Peer, once: the
former path, a 300,000-application hash sample read from the raw prediction logs (still the
fallback for rollups built before r_shadow), and the comparison on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

from dashboard.analytics.comparison import compute_comparison
from dashboard.store import Store
from dashboard.store.assumptions import assumptions_in_force
from dashboard.store.challengers import _raw_shadow_rows, load_shadow_rows, window_applications
from dashboard.store.policy import policy_in_force

MODELS = ["gbm_champion", "logit_scorecard", "hgb_challenger"]


def once(store: Store, raw: bool = False) -> tuple[float, float, int, int, object, str]:
    t0 = time.perf_counter()
    if raw:
        total = window_applications(store, MODELS[0], None, None)
        shadow = _raw_shadow_rows(store, MODELS, None, None, 300_000, ["age_band", "sex"], total)
    else:
        shadow = load_shadow_rows(store, MODELS)
    t1 = time.perf_counter()
    cut = policy_in_force(store, MODELS[0]).approve_below
    comp = compute_comparison(shadow.frame, MODELS[0], MODELS[1:], dict.fromkeys(MODELS, cut),
                              assumptions_in_force(store), shadow.protected)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, comp.applications, comp.labelled, comp, shadow.source


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    store = Store(args.store, create=False)
    total = int(store.sql("SELECT sum(n) AS n FROM r_daily WHERE model_id = ?", [MODELS[0]])["n"].iloc[0])
    cold = once(store)
    runs = [once(store) for _ in range(args.repeats)]
    blob = pickle.dumps(cold[4])
    hits = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        pickle.loads(blob)
        hits.append(time.perf_counter() - t)
    peer = once(store, raw=True)
    result = {
        "benchmark": "challengers", "date": dt.date.today().isoformat(), "store": str(args.store),
        "champion_applications": total, "models": MODELS, "repeats": args.repeats,
        "sample_source": runs[0][5], "sampled_applications": runs[0][2], "labelled_in_sample": runs[0][3],
        "cold_sample_s": round(cold[0], 3), "cold_compare_s": round(cold[1], 3),
        "cold_total_s": round(cold[0] + cold[1], 3),
        "join_median_s": round(statistics.median(r[0] for r in runs), 3),
        "compare_median_s": round(statistics.median(r[1] for r in runs), 3),
        "total_median_s": round(statistics.median(r[0] + r[1] for r in runs), 3),
        "cached_page_hit_median_s": round(statistics.median(hits), 4),
        "cached_result_bytes": len(blob),
        "peer_raw_log_sample": {"applications": peer[2], "labelled": peer[3], "join_s": round(peer[0], 3),
                                "compare_s": round(peer[1], 3)},
    }
    out = Path(__file__).resolve().parent / "results" / f"challengers-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), "utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
