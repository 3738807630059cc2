"""Benchmark: the cost of one write batch as history grows, with the id index and without.

For each STORE (default: the cached 1M and 10M application stores of benchmarks/stores) a
hard-linked copy (files are immutable, so the original never changes) takes ROUNDS batches of
1,000 new prediction rows (ids past every stored one, on the day after the last: live logging)
and ROUNDS batches of 1,000 outcomes for applications drawn from the whole history. The first
write builds the index from the footers and is reported apart. The old path (every stored id
read) is the same writer with the index answering "every file". Medians; ratio = 10M / 1M.

Run: .venv/bin/python benchmarks/bench_index.py [STORE ...] [--rounds 5]
Writes benchmarks/results/index-<date>.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_compaction import linked_copy, live_batches
from benchmarks.common import STORES, write_results
from dashboard.ingest.validation import validate_outcomes
from dashboard.store import Store
from dashboard.store.id_index import IdIndex

ROWS = 1_000


def outcome_batches(store: Store, rounds: int) -> list[pd.DataFrame]:
    """`rounds` frames of ROWS outcomes for stored applications across the whole history."""
    files = store.prediction_files("gbm_champion")
    picked = np.random.default_rng(3).choice(len(files), size=min(len(files), 200), replace=False)
    apps = store.sql(f"SELECT DISTINCT application_id FROM {store.predictions_source([files[i] for i in picked])}")
    ids = apps["application_id"].sample(n=ROWS * rounds, random_state=3, replace=len(apps) < ROWS * rounds)
    out = []
    for r in range(rounds):
        frame = pd.DataFrame({"application_id": ids.iloc[r * ROWS:(r + 1) * ROWS].to_numpy(),
                              "outcome_timestamp": pd.Timestamp("2031-01-01") + pd.Timedelta(minutes=r),
                              "label": 0, "loan_amount": 1000.0, "loss_amount": 0.0})
        out.append(validate_outcomes(frame).good)
    return out


def timed(write: Callable[[pd.DataFrame], Any], frames: Sequence[pd.DataFrame]) -> list[float]:
    times = []
    for frame in frames:
        start = time.perf_counter()
        write(frame)
        times.append(time.perf_counter() - start)
    return times


def bench_store(source: Path, rounds: int) -> dict[str, Any]:
    STORES.mkdir(parents=True, exist_ok=True)
    store = linked_copy(source, STORES / "index-work")
    try:
        preds, _ = live_batches(store, 2 * rounds + 1, ROWS // 3)   # 333 applications x 3 models
        outs = outcome_batches(store, 2 * rounds + 1)
        first = timed(store.write_predictions, preds[:1])[0]        # builds the index
        figures: dict[str, Any] = {"first_write_builds_index_s": round(first, 3)}
        figures["predictions_index_s"] = timed(store.write_predictions, preds[1:rounds + 1])
        figures["outcomes_index_s"] = timed(store.write_outcomes, outs[:rounds])
        every_file = IdIndex.candidates
        IdIndex.candidates = lambda self, name, files, column, ids: list(files)  # type: ignore[method-assign]
        try:
            figures["predictions_old_s"] = timed(store.write_predictions, preds[rounds + 1:])
            figures["outcomes_old_s"] = timed(store.write_outcomes, outs[rounds:2 * rounds])
        finally:
            IdIndex.candidates = every_file  # type: ignore[method-assign]
    finally:
        shutil.rmtree(STORES / "index-work", ignore_errors=True)
    for key in [k for k in figures if k.endswith("_s") and isinstance(figures[k], list)]:
        figures[key.replace("_s", "_median_s")] = round(statistics.median(figures.pop(key)), 3)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stores", type=Path, nargs="*",
                        default=[STORES / "store-1000000", STORES / "store-10000000"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = {str(s): bench_store(s, args.rounds) for s in args.stores}
    if len(results) == 2:
        small, big = results.values()
        results["ratio_last_over_first"] = {k: round(big[k] / small[k], 2) for k in small if k.endswith("median_s")}
    print(write_results("index", results).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
