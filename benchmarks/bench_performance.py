"""Benchmark: the Performance page's data from rollups, on stores of growing size.

For each store: the warm time of `load_performance` (everything the page draws for one
model: realized metrics, CBPE estimate, validation, PSI, latency, alerts) by month, week
and day, for each model; the size of what it reads (days x score bins); and, as the peer,
the same monthly AUCs computed the naive way from the raw log (DuckDB join of predictions
and outcomes, then scikit-learn per month).

Usage:
  python benchmarks/bench_performance.py --store 1M=/tmp/perf-store-1m --store 2M=/tmp/perf-store-2m
Writes benchmarks/results/performance-<date>.json and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from dashboard.services.performance import load_alert_config, load_performance
from dashboard.store import Store
from dashboard.store.performance import count_predictions

RESULTS = Path(__file__).resolve().parent / "results"


def _timed(fn: Any, repeats: int) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1)}


def _raw_monthly_auc(store: Store, model_id: str) -> int:
    """The peer: monthly AUC on approved loans from the raw rows (no rollups)."""
    pred = store.predictions_source(store.prediction_files(model_id))
    frame = store.sql(f"""
        SELECT date_trunc('month', p.date) AS period, p.score, o.label
        FROM {pred} p JOIN (SELECT application_id, arg_max(label, outcome_timestamp) AS label
                            FROM {store.outcomes_source()} GROUP BY 1) o USING (application_id)""")
    months = 0
    for _, part in frame.groupby("period"):
        if part["label"].nunique() == 2:
            roc_auc_score(part["label"], part["score"])
            months += 1
    return months


def bench_store(label: str, root: Path, repeats: int) -> dict[str, Any]:
    store = Store(root, create=False)
    config = load_alert_config()
    models = sorted(store.list_cards())
    start = time.perf_counter()
    load_performance(store, models[0], "month", config)
    cold = (time.perf_counter() - start) * 1000
    shape = store.sql("""SELECT count(DISTINCT date) AS days, count(*) AS score_rows
                         FROM r_scores WHERE model_id = ?""", [models[0]]).iloc[0]
    out: dict[str, Any] = {
        "store": str(root), "applications": count_predictions(store, models[0]), "models": models,
        "days": int(shape["days"]), "r_scores_rows_per_model": int(shape["score_rows"]),
        "cold_first_call_ms": round(cold, 1), "warm": {},
    }
    for grain in ("month", "week", "day"):
        out["warm"][grain] = {m: _timed(lambda m=m, g=grain: load_performance(store, m, g, config), repeats)
                              for m in models}
    page = [out["warm"]["month"][m]["median_ms"] for m in models]
    out["page_data_month_median_ms"] = round(statistics.median(page), 1)
    out["peer_raw_rows_monthly_auc"] = _timed(lambda: _raw_monthly_auc(store, models[0]), max(1, repeats // 3))
    print(f"{label}: {out['applications']:,} applications, {out['days']} days, "
          f"{out['r_scores_rows_per_model']:,} score rows/model; page data (month) "
          f"{out['page_data_month_median_ms']} ms median warm; raw-row peer "
          f"{out['peer_raw_rows_monthly_auc']['median_ms']} ms", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", action="append", required=True, metavar="LABEL=DIR",
                        help="a store to measure, e.g. 1M=/tmp/perf-store-1m (repeatable)")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    results = {"benchmark": "performance page data", "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "repeats": args.repeats, "stores": {}}
    for item in args.store:
        label, _, path = item.partition("=")
        results["stores"][label] = bench_store(label, Path(path), args.repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"performance-{dt.date.today():%Y-%m-%d}.json"
    target.write_text(json.dumps(results, indent=2))
    print(f"written {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
