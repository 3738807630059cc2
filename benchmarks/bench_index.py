"""Benchmark: the cost of one write batch as history grows, this branch's path against the old one.

For each STORE (default: the cached 1M and 10M application stores of benchmarks/stores) a
hard-linked copy in var/ (the store publishes every file by rename, never rewrites one in place, so
the original never changes) takes ROUNDS batches of 1,000 new prediction rows (333
applications x 3 models, ids past every stored one, each batch the first of a new day after
the last stored one: live logging)
and ROUNDS batches of 1,000 outcomes for applications drawn from the whole history, each
round once by the new path and once by the old one, alternating. The new path: the id index
(the duplicate check, the outcome files a prediction day joins, the predictions of an outcome
batch's applications) and outcome batches merged into the rollups as a delta. The old path:
the same writer with the index answering "every file" and the touched days' rollups
recomputed from their rows. The first write builds the index from the footers and is
reported apart. Medians; ratio = 10M / 1M.

Run: .venv/bin/python benchmarks/bench_index.py [STORE ...] [--rounds 5]
Writes benchmarks/results/index-<date>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
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
from dashboard.store.outcome_delta import OutcomeDelta

ROWS = 1_000
WORK = Path(__file__).resolve().parents[1] / "var" / "bench-index-work"   # beside the sources: hard links


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


@contextlib.contextmanager
def old_path() -> Iterator[None]:
    """The writer as before the index and the delta: every file a candidate, days recomputed."""
    candidates, handles = IdIndex.candidates, vars(OutcomeDelta)["handles_every_kind"]
    IdIndex.candidates = lambda self, name, files, column, ids: list(files)  # type: ignore[method-assign]
    OutcomeDelta.handles_every_kind = staticmethod(lambda: False)  # type: ignore[method-assign]
    try:
        yield
    finally:
        IdIndex.candidates = candidates  # type: ignore[method-assign]
        OutcomeDelta.handles_every_kind = handles  # type: ignore[method-assign]


def alternate(write: Callable[[pd.DataFrame], Any], frames: Sequence[pd.DataFrame]) -> tuple[list[float], list[float]]:
    """Times of frames[0::2] by the new path and frames[1::2] by the old one, taken in turn."""
    new: list[float] = []
    old: list[float] = []
    for i, frame in enumerate(frames):
        with old_path() if i % 2 else contextlib.nullcontext():
            (old if i % 2 else new).extend(timed(write, [frame]))
        print(f"  {'old' if i % 2 else 'new'} {write.__name__} {(old if i % 2 else new)[-1]:.3f} s", flush=True)
    return new, old


def bench_store(source: Path, rounds: int) -> dict[str, Any]:
    WORK.parent.mkdir(parents=True, exist_ok=True)
    store = linked_copy(source, WORK)
    try:
        preds, _ = live_batches(store, 2 * rounds + 1, ROWS // 3)   # 333 applications x 3 models
        for b, frame in enumerate(preds):   # each batch opens a day (the first write to it)
            frame["timestamp"] = frame["timestamp"] + pd.Timedelta(days=b)
        outs = outcome_batches(store, 2 * rounds)
        first = timed(store.write_predictions, preds[:1])[0]        # builds the index
        figures: dict[str, Any] = {"first_write_builds_index_s": round(first, 3)}
        figures["predictions_new_s"], figures["predictions_old_s"] = alternate(store.write_predictions, preds[1:])
        figures["outcomes_new_s"], figures["outcomes_old_s"] = alternate(store.write_outcomes, outs)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    for key in [k for k in figures if k.endswith("_s") and isinstance(figures[k], list)]:
        times = figures.pop(key)
        figures[key.replace("_s", "_median_s")] = round(statistics.median(times), 3)
        figures[key.replace("_s", "_all_s")] = [round(t, 3) for t in times]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stores", type=Path, nargs="*",
                        default=[STORES / "store-1000000", STORES / "store-10000000"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, Any] = {str(s): bench_store(s, args.rounds) for s in args.stores}
    if len(results) == 2:
        small, big = results.values()
        results["ratio_last_over_first"] = {k: round(big[k] / small[k], 2) for k in small if k.endswith("median_s")}
    results["load_average_1_5_15"] = {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]}
    print(write_results("index", results).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
