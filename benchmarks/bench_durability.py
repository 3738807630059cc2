"""The cost of durable writes and of the records' chain (issue 21, items 4 and 5).

Interleaved rounds, each measuring, in one temporary folder on the stores' file system:
  - publishing a Parquet file the size of a day's log partition or a rollup month: the old
    path (written, renamed, no fsync) against `files.write_parquet_atomic` (fsynced, renamed,
    folder fsynced);
  - publishing an event-sized JSON file: the old path (file fsynced, renamed) against the new
    (folder fsynced too);
  - appending an event: main's `EventLog.append` (a subprocess on --before, the main checkout's
    source) against this checkout's, chained (an override) and unchained (an ingest_batch).

Run:  .venv/bin/python benchmarks/bench_durability.py [--rounds 5] [--before /work/main/src]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.store.files import write_json_atomic, write_parquet_atomic

HERE = Path(__file__).resolve().parent
APPENDS = 200
APPEND_SCRIPT = """
import sys, tempfile, time
from dashboard.store import Store
store = Store(tempfile.mkdtemp(dir=sys.argv[1]))
kind, n = sys.argv[2], int(sys.argv[3])
payload = {"application_id": "A1", "reason": "r"} if kind == "override" else {"source": "file"}
start = time.perf_counter()
for i in range(n):
    store.append_event(kind, payload, actor="bench")
print((time.perf_counter() - start) / n * 1000)
"""


def _old_parquet(target: Path, table: pa.Table) -> None:
    """The Parquet publish before: written and renamed, never fsynced."""
    tmp = target.parent / f".tmp-{uuid.uuid4().hex}-{target.name}"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, target)


def _old_json(target: Path, payload: object) -> None:
    """The JSON publish before: the file fsynced and renamed, its folder not fsynced."""
    tmp = target.parent / f".tmp-{uuid.uuid4().hex}-{target.name}"
    with open(tmp, "wb") as fh:
        fh.write(json.dumps(payload, indent=2, sort_keys=True).encode())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def _ms(fn: Callable[[int], None], n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n * 1000


def _table(rows: int) -> pa.Table:
    rng = np.random.default_rng(0)
    return pa.table({"prediction_id": [f"p{i}" for i in range(rows)], "score": rng.random(rows),
                     "x": rng.normal(size=rows), "decision": ["approve"] * rows})


def _append_ms(python_path: str, folder: Path, kind: str) -> float:
    env = dict(os.environ, PYTHONPATH=python_path)
    out = subprocess.run([sys.executable, "-c", APPEND_SCRIPT, str(folder), kind, str(APPENDS)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def one_round(folder: Path, before: str, here: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    for label, rows in (("parquet_3k_rows", 3_000), ("parquet_100k_rows", 100_000)):
        table = _table(rows)
        n = 20 if rows < 10_000 else 5
        figures[f"{label}_before_ms"] = _ms(lambda i, t=table: _old_parquet(folder / f"o{i}.parquet", t), n)
        figures[f"{label}_after_ms"] = _ms(lambda i, t=table: write_parquet_atomic(folder / f"n{i}.parquet", t), n)
    event = {"id": "x", "kind": "override", "at": "2026-01-01T00:00:00", "actor": "a", "reason": "r"}
    figures["json_before_ms"] = _ms(lambda i: _old_json(folder / f"o{i}.json", event), 100)
    figures["json_after_ms"] = _ms(lambda i: write_json_atomic(folder / f"n{i}.json", event), 100)
    figures["append_before_ms"] = _append_ms(before, folder, "override")
    figures["append_chained_after_ms"] = _append_ms(here, folder, "override")
    figures["append_unchained_after_ms"] = _append_ms(here, folder, "ingest_batch")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default="/work/main/src", help="source folder of the code to compare against")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: the temporary folder)")
    args = parser.parse_args()
    here = str(Path(__file__).resolve().parents[1] / "src")
    rounds = []
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            rounds.append(one_round(Path(tmp), args.before, here))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in rounds[-1].items()), flush=True)
    medians = {k: round(statistics.median(r[k] for r in rounds), 3) for k in rounds[0]}
    with contextlib.suppress(OSError):
        medians["load_average_1m"] = round(os.getloadavg()[0], 1)
    print(json.dumps(medians, indent=2))
    out = HERE / "results" / f"durability-{time.strftime('%Y-%m-%d')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rounds": rounds, "medians": medians}, indent=2))


if __name__ == "__main__":
    main()
