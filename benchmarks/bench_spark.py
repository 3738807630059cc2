"""Rollup rebuild with both engines (issue 19): DuckDB in process, Spark in local mode as the
`dashboard rollup rebuild --engine spark` command, on private copies of the benchmark stores
(1M: a copy; 10M: hard links, safe because a rebuild publishes every file by rename). Spark's
memory is the peak resident size of the command's process tree (driver Python, JVM, Python
workers), sampled from /proc every 0.2 s.

    python benchmarks/bench_spark.py 1000000 --rounds 2 [--spark-models gbm_champion --spark-from 2025-06 --spark-to 2025-06]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dashboard.store.rollups.writer import ROLLUP_FORMAT

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak tree RSS and the last line of output of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.2)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"{cmd} failed ({proc.returncode})")
    return time.perf_counter() - start, peak, out.strip().splitlines()[-1] if out.strip() else ""


def copy_store(applications: int, dest: Path) -> Path:
    src = HERE / "stores" / f"store-{applications}"
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["cp", "-al" if applications > 1_000_000 else "-a", str(src), str(dest)], check=True)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("applications", type=int)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", default="/tmp/bench-spark")
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    parser.add_argument("--scope", nargs="*", default=[], help="(or any unknown option) rebuild options: --models, --from, --to")
    args, extra = parser.parse_known_args()
    args.scope = [*args.scope, *extra]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, object]] = {}
    for engine in args.engines:
        times, peaks, lines = [], [], []
        for _ in range(args.rounds):
            store = copy_store(args.applications, work / f"store-{args.applications}-{engine}")
            if args.scope:  # a partial rebuild needs the current format: the copy's file replaced, not written
                fmt = store / "rollups" / "FORMAT.json"
                fmt.unlink()
                fmt.write_text(json.dumps({"version": ROLLUP_FORMAT}))
            cmd = [str(BIN / "dashboard"), "--store", str(store), "rollup", "rebuild", "--engine", engine, *args.scope]
            if engine == "spark":
                cmd += ["--master", "local[2]", "--shuffle-partitions", "4"]
            seconds, peak, line = run(cmd)
            times.append(seconds)
            peaks.append(peak)
            lines.append(line)
            print(f"{engine} {args.applications} {args.scope}: {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB | {line}",
                  flush=True)
            shutil.rmtree(store)
        results[engine] = {"median_s": round(statistics.median(times), 1), "rounds_s": [round(t, 1) for t in times],
                           "peak_rss_mib": round(max(peaks) / 2**20), "output": lines}
    print(json.dumps({"applications": args.applications, "scope": args.scope, "load": os.getloadavg(),
                      "results": results}, indent=1))


if __name__ == "__main__":
    main()
