"""Benchmark: a store after many small live batches, raw-row queries before and after `compact`.

Live logging writes one small Parquet file per batch and partition; every scan of those
partitions then opens hundreds of files. This takes a hard-linked copy of STORE (files are
immutable and replaced by rename, so the copy never changes the original), writes BATCHES
batches of ROWS applications x 3 models into the last day (an hour of logging at one batch
every 10 s by default), times the raw-row reads the pages make (the Decisions queue over the
last 7 days, one application by id, a count over the last day's partitions), runs
`Store.compact()` (what `dashboard compact` does) and times the same reads again.

Run: .venv/bin/python benchmarks/bench_compaction.py STORE [--batches 360] [--rows 20]
Writes benchmarks/results/compaction-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import STORES, timeit, write_results
from dashboard.ingest.validation import validate_predictions
from dashboard.store import Store
from dashboard.store.decisions import QueueFilter, application_rows, decision_queue

MODELS = ("gbm_champion", "logit_scorecard", "hgb_challenger")


def linked_copy(source: Path, target: Path) -> Store:
    """A writable copy sharing the (immutable) files with `source`."""
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-al", str(source), str(target)], check=True)
    return Store(target)


def live_batches(store: Store, batches: int, rows: int) -> tuple[list[pd.DataFrame], dt.date]:
    """`batches` frames of `rows` new applications x every model, on the day after the last one."""
    files = store.prediction_files("gbm_champion")[-3:]
    base = store.sql(f"SELECT * EXCLUDE (date) FROM {store.predictions_source(files)} "
                     f"ORDER BY timestamp DESC LIMIT {rows}")
    day = pd.Timestamp(base["timestamp"].max()).normalize() + pd.Timedelta(days=1)
    cards = store.list_cards()
    out = []
    for b in range(batches):
        parts = []
        for model_id in MODELS:
            frame = base.copy()
            frame["model_id"] = model_id
            frame["application_id"] = [f"LIVE-{b:04d}-{i:03d}" for i in range(rows)]
            frame["prediction_id"] = [f"LIVE-{b:04d}-{i:03d}-{model_id}" for i in range(rows)]
            frame["timestamp"] = day + pd.Timedelta(seconds=10 * b) + pd.to_timedelta(range(rows), unit="ms")
            if model_id != "gbm_champion":
                frame["decision"] = None
            parts.append(frame)
        out.append(validate_predictions(pd.concat(parts, ignore_index=True), cards).good)
    return out, day.date()


def reads(store: Store, day: dt.date) -> dict[str, Any]:
    flt = QueueFilter("gbm_champion", day - dt.timedelta(days=6), day, ("approve", "decline"), 0.0, 1.0)
    files = store.prediction_files(None, day, day)
    source = store.predictions_source(files)
    return {
        "files_in_last_day": len(files),
        "decision_queue_7_days": timeit(lambda: decision_queue(store, flt), repeat=5),
        "application_by_id": timeit(lambda: application_rows(store, "LIVE-0100-005", day=day), repeat=5),
        "count_last_day": timeit(lambda: store.sql(f"SELECT count(*) AS n FROM {source}"), repeat=5),
        "store_open_and_refresh": timeit(lambda: Store(store.root), repeat=3),
    }


def bench_compaction(source: Path, batches: int, rows: int) -> dict[str, Any]:
    target = STORES / "compaction-work"
    store = linked_copy(source, target)
    try:
        frames, day = live_batches(store, batches, rows)
        writes = []
        for frame in frames:
            start = time.perf_counter()
            store.write_predictions(frame)
            writes.append(time.perf_counter() - start)
        before = reads(store, day)
        start = time.perf_counter()
        stats = store.compact()
        compact_s = time.perf_counter() - start
        after = reads(Store(target), day)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return {"store": str(source), "batches": batches, "rows_per_batch_per_model": rows,
            "live_batch_write_median_ms": round(statistics.median(writes) * 1000, 1),
            "live_batch_write_max_ms": round(max(writes) * 1000, 1),
            "compact_s": round(compact_s, 2), "compaction": stats, "before": before, "after": after}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--batches", type=int, default=360)
    parser.add_argument("--rows", type=int, default=20)
    args = parser.parse_args()
    print(write_results("compaction", bench_compaction(args.store, args.batches, args.rows)).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
