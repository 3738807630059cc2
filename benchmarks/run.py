"""The benchmark suite (issue 9): every speed figure on stores of 1M and 10M applications x 3 models.

Builds (or reuses) benchmarks/stores/portfolio-<N> and store-<N> with the project's own
sample code (`dashboard sample`: above 2M applications it writes 1M-application chunks),
then measures, per store (page preparation, areas and browser in rounds, 1M and 10M alternating):
- ingest throughput from Parquet and CSV (into an empty store) and the rollup update per
  ingested daily batch (10,000 applications x 3 models into a hard-linked copy of the store);
- each page's data preparation, cold (empty Streamlit caches, new store handle) and warm
  (the rerun: cache hits), by running the page script in Streamlit's AppTest as the admin;
- the area benchmarks written with each feature (bench_*.py), which time the functions the
  pages call without Streamlit: Overview, Performance, Drift vs Evidently, Thresholds
  (one lever move), Challengers, Impact, Decisions (one decision's explanation);
- each page's time until idle in headless Chromium, cold and warm, and the server's peak
  memory (bench_browser.py); reads before/after compaction of many live batches
  (bench_compaction.py).
Writes benchmarks/results/<date>.json and the table in benchmarks/RESULTS.md.

Run:  .venv/bin/python benchmarks/run.py                       # 1M and 10M (builds missing stores)
      .venv/bin/python benchmarks/run.py --sizes 1000000 --skip browser,compaction
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_foundation, bench_thresholds
from benchmarks.bench_browser import bench_browser
from benchmarks.bench_compaction import bench_compaction, linked_copy
from benchmarks.common import RESULTS, STORES, ensure_portfolio, ensure_store, timeit
from dashboard.ingest.service import ingest_prediction_files
from dashboard.services.drift import clear_model_caches
from dashboard.store import Store
from dashboard.store.portfolio import read_portfolio
from dashboard.ui import shell
from dashboard.ui.navigation import pages_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
FIRST = ("ingest", "batch")
# Measured in alternation, round after round: the figures of the 10M/1M ratios, and the
# browser's (a single cold view per page varies by +-0.3 s here).
INTERLEAVED = ("pages", "areas", "browser")
LAST = ("drift", "compaction")
SECTIONS = (*FIRST, *INTERLEAVED, *LAST)
ROUNDS = 3
MODEL = "gbm_champion"
NOTES = "<!-- notes: written by hand, kept by run.py -->"


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def median_of(rounds: list[Any]) -> Any:
    """One result from several rounds of the same measurement: numbers are the median over the
    rounds, dicts are merged key by key (every key of any round), lists are merged (each item
    once: AppTest's exceptions), anything else (text) is the first round's. A round that failed
    ({"error": ...}) counts only if all did; `combine_rounds` reports it."""
    rounds = [r for r in rounds if not (isinstance(r, dict) and "error" in r)] or rounds
    first = rounds[0]
    if isinstance(first, dict):
        keys = dict.fromkeys(k for r in rounds if isinstance(r, dict) for k in r)
        return {k: median_of([r[k] for r in rounds if isinstance(r, dict) and k in r]) for k in keys}
    if isinstance(first, list):
        merged: list[Any] = []
        for item in (i for r in rounds if isinstance(r, list) for i in r):
            if item not in merged:
                merged.append(item)
        return merged
    numbers = [r for r in rounds if isinstance(r, (int, float)) and not isinstance(r, bool)]
    if numbers and len(numbers) == len(rounds):
        middle = statistics.median(numbers)
        return round(middle, 6) if isinstance(middle, float) else middle
    return first


def _errors(value: Any, path: str = "") -> list[str]:
    """Every {"error": ...} in a result, named by where it is (an area script inside `areas`)."""
    if not isinstance(value, dict):
        return []
    if "error" in value:
        return [f"{path or 'the section'}: {str(value['error'])[-300:]}"]
    return [e for k, v in value.items() for e in _errors(v, f"{path}.{k}" if path else str(k))]


def combine_rounds(section: str, rounds: list[Any]) -> Any:
    """A section's result from its rounds: the median of each figure; for the browser, memory is
    the highest peak of the rounds and a page showed an exception if it did in any round. What
    failed in any round is kept under "failed_rounds", so a flaky section is not hidden."""
    combined = median_of(rounds)
    if section == "browser" and isinstance(combined, dict):
        peaks = [r["server_peak_rss_mb"] for r in rounds if isinstance(r, dict) and "server_peak_rss_mb" in r]
        if peaks:
            combined["server_peak_rss_mb"] = max(peaks)
        for slug, page in combined.get("pages", {}).items():
            page["exception_shown"] = any(isinstance(r, dict) and r.get("pages", {}).get(slug, {}).get("exception_shown")
                                          for r in rounds)
    failures = [f"round {i}: {e}" for i, r in enumerate(rounds, start=1) for e in _errors(r)]
    if failures and isinstance(combined, dict) and "error" not in combined:
        combined["failed_rounds"] = failures
    return combined


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n:,}"


# ---------------------------------------------------------------- machine

def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
    versions = {}
    for name in ("duckdb", "pyarrow", "pandas", "streamlit", "evidently", "sklearn"):
        try:
            versions[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001  (a missing optional package is reported, not fatal)
            versions[name] = "not installed"
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(), "versions": versions,
            "note": "shared machine: other sessions ran tests and builds during the run"}


# ---------------------------------------------------------------- stores

def stores(sizes: list[int]) -> dict[int, dict[str, Any]]:
    out = {}
    for n in sizes:
        say(f"store {label(n)}: ensuring portfolio and store (built once, then reused)")
        start = time.perf_counter()
        portfolio = ensure_portfolio(n)
        root = ensure_store(n)
        built = (root / ".built").read_text() or "{}"
        files = read_portfolio(portfolio)
        out[n] = {"portfolio": str(portfolio), "store": str(root), "ensure_s": round(time.perf_counter() - start, 1),
                  "build": json.loads(built), "prediction_files_in": len(files.predictions),
                  "rows_all_models": int(Store(root, create=False).sql("SELECT sum(n) AS n FROM r_daily")["n"][0]),
                  "store_mb": round(sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 2**20, 1)}
    return out


# ---------------------------------------------------------------- ingest

def ingest(portfolio: Path) -> dict[str, Any]:
    """Throughput into an empty store: 1M Parquet rows and 200k CSV rows (bench_foundation)."""
    return bench_foundation.bench_ingest(portfolio, csv_rows=200_000)


def daily_batches(store_root: Path, batches: int = 5, rows: int = 10_000) -> dict[str, Any]:
    """Rollup update per batch: `rows` new applications x 3 models logged on the last day, into a linked copy.

    The last day's month already holds a full month of logs, as a daily batch would find it.
    A reader opened before the batches (the running app) then refreshes its rollup tables.
    """
    work = STORES / "batch-work"
    store = linked_copy(store_root, work)
    try:
        files = [f for m in ("gbm_champion", "logit_scorecard", "hgb_challenger")
                 for f in store.prediction_files(m)[-2:]]
        source = store.predictions_source(files)
        base = store.sql(f"SELECT * EXCLUDE (date) FROM {source} "
                         f"WHERE application_id IN (SELECT application_id FROM {source} WHERE model_id = '{MODEL}' "
                         f"ORDER BY timestamp DESC LIMIT {rows})")
        last_day = pd.Timestamp(base["timestamp"].max()).normalize()
        month_rows = int(store.sql("SELECT sum(n) AS n FROM r_daily WHERE date >= ?",
                                   [last_day.replace(day=1).date()])["n"][0])
        reader = Store(work, create=False)
        start = time.perf_counter()
        reader.refresh()
        first_refresh = time.perf_counter() - start
        times, refresh = [], []
        for b in range(batches):
            frame = base.copy()
            frame["timestamp"] = last_day + (frame["timestamp"] - frame["timestamp"].min()) % pd.Timedelta(days=1)
            frame["application_id"] = "B" + str(b) + "-" + frame["application_id"]
            frame["prediction_id"] = "B" + str(b) + "-" + frame["prediction_id"]
            path = STORES / "batch-input.parquet"
            frame.to_parquet(path, index=False)
            start = time.perf_counter()
            report = ingest_prediction_files(store, [path])
            times.append(time.perf_counter() - start)
            assert report.ok and report.stored == len(frame), report.lines()
            start = time.perf_counter()
            reader.refresh()
            refresh.append(time.perf_counter() - start)
        return {"batch_rows": len(base), "applications_per_batch": rows, "batches": batches,
                "rows_in_the_batch_month_all_models": month_rows,
                "ingest_batch_median_s": round(statistics.median(times), 3),
                "ingest_batch_runs_s": [round(t, 3) for t in times],
                "reader_first_refresh_s": round(first_refresh, 3),
                "reader_refresh_after_batch_median_ms": round(statistics.median(refresh) * 1000, 1),
                "note": "ingest = validate + dedupe + write Parquet + recompute the touched day's rollups and merge them "
                        "into the month files + publish; "
                        "the open reader's refresh re-reads the changed rollup files"}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        (STORES / "batch-input.parquet").unlink(missing_ok=True)


# ---------------------------------------------------------------- page preparation (AppTest)

def page_prep(store_root: Path, warm: int = 3, role: str = "admin") -> dict[str, Any]:
    """Each page script run in AppTest: cold = caches and loaded models cleared, warm = the rerun."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["DASHBOARD_STORE"] = str(store_root)
    entry = str(ROOT / "app" / "streamlit_app.py")
    out: dict[str, Any] = {}
    for spec in pages_for(role):
        at = AppTest.from_file(entry, default_timeout=600)
        at.query_params["role"] = role
        at.run()
        shell.start_warming().join()  # the app's background warm-up (first run in this process) is over
        st.cache_data.clear()
        st.cache_resource.clear()
        clear_model_caches()  # the process-wide ones too: each size's cold view loads its own models
        start = time.perf_counter()
        if spec.slug == "overview":
            at.run()
        else:
            at.switch_page(f"../pages/{spec.slug}.py")
            at.run()
        cold = time.perf_counter() - start
        runs = []
        for _ in range(warm):
            start = time.perf_counter()
            at.run()
            runs.append(time.perf_counter() - start)
        out[spec.slug] = {"cold_s": round(cold, 3), "warm_median_s": round(statistics.median(runs), 3),
                          "exceptions": [str(e.value)[:200] for e in at.exception]}
        say(f"  page {spec.slug:12s} cold {cold:6.2f} s  warm {statistics.median(runs):6.3f} s")
    return out


# ---------------------------------------------------------------- area benchmarks (their own scripts)

def run_script(area: str, args: list[str], timeout: int = 3600) -> dict[str, Any]:
    """Run benchmarks/bench_<area>.py as written by its feature's author; return its JSON.

    The script writes results/<area>-<date>.json; that file's previous content (the author's
    own run) is put back afterwards, the figures of this run go into the suite's file.
    """
    path = RESULTS / f"{area}-{dt.date.today().isoformat()}.json"
    previous = path.read_bytes() if path.exists() else None
    start = time.perf_counter()
    proc = subprocess.run([PYTHON, str(HERE / f"bench_{area}.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    seconds = time.perf_counter() - start
    try:
        if proc.returncode != 0 or not path.exists():
            return {"error": (proc.stderr or proc.stdout)[-2000:], "seconds": round(seconds, 1)}
        result: dict[str, Any] = json.loads(path.read_text())
        result["_seconds"] = round(seconds, 1)
        return result
    finally:
        if previous is not None:
            path.write_bytes(previous)
        elif path.exists():
            path.unlink()


def drift_windows(store_root: Path, rows: int = 1_000_000) -> tuple[str, str] | None:
    """Two windows of about `rows` champion rows each either side of 2026-02-01 (the data drift)."""
    daily = Store(store_root, create=False).sql(
        "SELECT date, sum(n) AS n FROM r_daily WHERE model_id = ? GROUP BY 1 ORDER BY 1", [MODEL])
    daily["date"] = pd.to_datetime(daily["date"]).dt.date
    split = dt.date(2026, 2, 1)
    before = daily[daily["date"] < split].iloc[::-1]
    after = daily[daily["date"] >= split]
    if before["n"].sum() < rows or after["n"].sum() < rows:
        return None
    ref_start = before["date"].iloc[int((before["n"].cumsum() >= rows).to_numpy().argmax())]
    cur_end = after["date"].iloc[int((after["n"].cumsum() >= rows).to_numpy().argmax())]
    return f"{ref_start}..{split - dt.timedelta(days=1)}", f"{split}..{cur_end}"


def areas(store_root: Path) -> dict[str, Any]:
    s = str(store_root)
    out: dict[str, Any] = {}
    say("  overview queries (bench_foundation)")
    store = Store(store_root, create=False)
    start = time.perf_counter()
    bench_foundation.overview_queries(store)
    out["overview"] = {"cold_ms": round((time.perf_counter() - start) * 1000, 1),
                       "warm": timeit(lambda: bench_foundation.overview_queries(store), repeat=10)}
    say("  threshold lever (bench_thresholds)")
    out["thresholds"] = bench_thresholds.bench_store(store_root, MODEL, moves=200)
    for area, args in (("performance", ["--store", f"{label_of(store_root)}={s}", "--repeats", "5"]),
                       ("challengers", [s, "--repeats", "3"]),
                       ("impact", ["--store", s, "--repeat", "5"]),
                       # A decision is explained in a few ms: more repeats for a steady median.
                       ("decisions", ["--store", s, "--repeat", "21"]),
                       ("metrics", ["--store", f"{label_of(store_root)}={s}", "--repeats", "50", "--cold-rounds", "1"])):
        if (HERE / f"bench_{area}.py").exists():
            say(f"  {area} (bench_{area}.py)")
            out[area] = run_script(area, args)
    return out


def label_of(store_root: Path) -> str:
    return store_root.name.removeprefix("store-")


def drift(store_root: Path, evidently_rows: int, evidently_repeats: int) -> dict[str, Any]:
    args = ["--store", str(store_root), "--evidently-rows", str(evidently_rows),
            "--evidently-repeats", str(evidently_repeats), "--repeats", "7"]
    windows = drift_windows(store_root)
    if windows:
        args += ["--reference", windows[0], "--current", windows[1]]
    say(f"  drift vs Evidently ({evidently_rows:,} rows per window for Evidently; windows {windows or 'default'})")
    return run_script("drift", args, timeout=7200)


# ---------------------------------------------------------------- summary

def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's goals, each with the measured figure and whether it holds."""
    per = results["stores"]
    big = max(per, key=int)
    small = min(per, key=int)
    goals: dict[str, Any] = {}
    browser = per[big].get("browser", {})
    if "pages" in browser:
        cold = {k: v["cold_s"] for k, v in browser["pages"].items()}
        warm = {k: v["warm_median_s"] for k, v in browser["pages"].items()}
        goals["browser_cold_under_2s"] = {"holds": max(cold.values()) < 2, "worst": max(cold.items(), key=lambda kv: kv[1]),
                                          "failing": {k: v for k, v in cold.items() if v >= 2}}
        goals["browser_warm_under_1s"] = {"holds": max(warm.values()) < 1, "worst": max(warm.items(), key=lambda kv: kv[1]),
                                          "failing": {k: v for k, v in warm.items() if v >= 1}}
        goals["server_memory_under_1.5GB"] = {"holds": browser["server_peak_rss_mb"] < 1536,
                                              "peak_mb": browser["server_peak_rss_mb"]}
    ingest_fig = per[small].get("ingest", {})
    if "ingest_parquet_rows_per_s" in ingest_fig:
        goals["ingest_parquet_200k_rows_s"] = {"holds": ingest_fig["ingest_parquet_rows_per_s"] >= 200_000,
                                               "rows_per_s": round(ingest_fig["ingest_parquet_rows_per_s"])}
    if big != small and "pages" in per[big] and "pages" in per[small]:
        ratios = {k: round(per[big]["pages"][k]["cold_s"] / max(per[small]["pages"][k]["cold_s"], 1e-3), 2)
                  for k in per[big]["pages"] if k in per[small]["pages"]}
        pairs = {
            "overview_warm": ("areas", "overview", "warm", "median_ms"),
            "performance_month_warm": ("areas", "performance", "stores", None, "page_data_month_median_ms"),
            "threshold_move": ("areas", "thresholds", "move_median_ms"),
            "threshold_bins_load": ("areas", "thresholds", "load_bins_median_s"),
            "impact_quarter_warm": ("areas", "impact", "warm_page_prep_quarter_with_report_median_s"),
            "drift_ours": ("drift", "ours_median_s"),
            "challengers_warm": ("areas", "challengers", "total_median_s"),
            "decision_explanation": ("areas", "decisions", "models", "gbm_champion",
                                     "explanation_and_reasons_warm_ms_median"),
        }
        function_ratios = {}
        for name, keys in pairs.items():
            values = [_path(per[n], keys) for n in (big, small)]
            if all(isinstance(v, (int, float)) and v for v in values):
                function_ratios[name] = round(values[0] / values[1], 2)
        goals["page_prep_10M_within_1.5x_of_1M"] = {
            "holds": max(ratios.values()) <= 1.5 and max(function_ratios.values(), default=0) <= 1.5,
            "apptest_cold_ratios": ratios, "function_warm_ratios": function_ratios}
    dr = per[big].get("drift", {})
    if "ours_median_s" in dr:
        goals["drift_100x_faster_than_evidently"] = {
            "holds": dr["ratio_evidently_sample_over_ours"] >= 100, "ratio": round(dr["ratio_evidently_sample_over_ours"]),
            "evidently_rows_per_window": dr["evidently_rows_per_window"]}
    return goals


def _path(d: Any, keys: tuple[Any, ...]) -> Any:
    """Like _get; a None key takes the only value of a one-entry dict (bench_performance's labels)."""
    for k in keys:
        if k is None and isinstance(d, dict) and d:
            d = next(iter(d.values()))
        elif not isinstance(d, dict) or k not in d:
            return None
        else:
            d = d[k]
    return d


def _get(d: Any, *keys: Any) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _fmt(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def render_markdown(results: dict[str, Any]) -> str:
    """benchmarks/RESULTS.md: the machine, the goals, then one column per store size."""
    m = results["machine"]
    sizes = sorted(results["stores"], key=int)
    cols = [label(int(n)) for n in sizes]
    st = [results["stores"][n] for n in sizes]
    head = "| measure | " + " | ".join(cols) + " |\n|---|" + "---:|" * len(cols) + "\n"

    def row(name: str, fn: Callable[[dict[str, Any]], str]) -> str:
        return f"| {name} | " + " | ".join(fn(x) for x in st) + " |\n"

    runs = results.get("runs") or [results["date"]]
    when = runs[0] if len(runs) == 1 else f"in {len(runs)} parts ({', '.join(r[11:16] for r in runs)} on {runs[0][:10]}, " \
        "sections merged with --keep)"
    lines = [f"# Benchmark results\n\nRun {when} with `.venv/bin/python benchmarks/run.py`. "
             "Figures are medians unless marked. Raw figures: "
             f"`benchmarks/results/{results['date'][:10]}.json`.\n\n",
             f"**Machine:** {m['cpu']}, {m['cpu_count']} cores, {m['memory_gib']} GiB RAM, {m['system']}, "
             f"Python {m['python']}, DuckDB {m['versions'].get('duckdb')}, Streamlit {m['versions'].get('streamlit')}, "
             f"Evidently {m['versions'].get('evidently')}. Load average at start "
             f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}: {m['note']}, so absolute times "
             "are pessimistic and noisy; ratios within one run are the fair comparison.\n\n",
             "## Goals (issue 9)\n\n", "| goal | measured | holds |\n|---|---|:---:|\n"]
    for name, g in results.get("goals", {}).items():
        shown = {k: v for k, v in g.items() if k != "holds"}
        lines.append(f"| {name} | {json.dumps(shown, default=str)} | {'yes' if g['holds'] else '**no**'} |\n")
    lines.append("\n## Stores\n\n" + head)
    lines.append(row("prediction rows (3 models)", lambda x: _fmt(x.get("rows_all_models"))))
    lines.append(row("store size", lambda x: _fmt(x.get("store_mb"), "MB", 0)))
    lines.append(row("build (ingest of the whole portfolio)",
                     lambda x: _fmt(_get(x, "build", "seconds"), "s", 0) + " / " + _fmt(_get(x, "build", "rows_per_s"), "rows/s")))
    lines.append(row("1-minute load average when each section started (2 cores)",
                     lambda x: ", ".join(f"{k} {_loads(v)}" for k, v in (x.get("load_average") or {}).items()) or "–"))
    lines.append("\n## Ingest\n\n" + head)
    lines.append(row("Parquet into an empty store (1M rows)", lambda x: _fmt(_get(x, "ingest", "ingest_parquet_rows_per_s"), "rows/s", 0)))
    lines.append(row("CSV into an empty store (200k rows)", lambda x: _fmt(_get(x, "ingest", "ingest_csv_rows_per_s"), "rows/s", 0)))
    lines.append(row("daily batch, 10k applications x 3 models, incl. rollup update",
                     lambda x: _fmt(_get(x, "batch", "ingest_batch_median_s"), "s")))
    lines.append(row("rows already in that batch's month (the update rereads only the batch's day)",
                     lambda x: _fmt(_get(x, "batch", "rows_in_the_batch_month_all_models"))))
    lines.append(row("open app's rollup refresh after a batch",
                     lambda x: _fmt(_get(x, "batch", "reader_refresh_after_batch_median_ms"), "ms", 0)))
    lines.append(row("store handle's first rollup load", lambda x: _fmt(_get(x, "batch", "reader_first_refresh_s"), "s")))
    pages = sorted({p for x in st for p in (x.get("pages") or {})}, key=lambda p: [s.slug for s in pages_for("admin")].index(p)
                   if p in [s.slug for s in pages_for("admin")] else 99)
    lines.append("\n## Page data preparation (server side, AppTest as admin)\n\n"
                 "Cold: Streamlit caches and loaded models cleared, a new store handle (loads the rollups). Warm: the rerun "
                 f"(cache hits). Seconds; median of {ROUNDS} rounds, the sizes alternating.\n\n" + head)
    for p in pages:
        lines.append(row(p, _pair("pages", p, 3)))
    lines.append("\n## Pages in headless Chromium (time until idle, cold / warm median, seconds)\n\n"
                 f"Median of {ROUNDS} rounds, each a new server, the sizes alternating; memory: the highest "
                 "peak of the rounds.\n\n" + head)
    for p in pages:
        lines.append(row(p, _pair("browser", p, 2)))
    lines.append(row("server's first view (one-time imports; not a page)",
                     lambda x: _fmt(_get(x, "browser", "server_first_view_s"), "s")))
    lines.append(row("**server peak memory (VmHWM)**", lambda x: _fmt(_get(x, "browser", "server_peak_rss_mb"), "MB", 0)))
    lines.append("\n## Area benchmarks (the functions behind each page, no Streamlit)\n\n"
                 f"Each figure: the median of {ROUNDS} rounds (the sizes alternating) of the script's own median.\n\n"
                 + head)
    lines.append(row("Overview queries, cold / warm", lambda x: f"{_fmt(_get(x, 'areas', 'overview', 'cold_ms'), 'ms', 0)} / "
                                                             f"{_fmt(_get(x, 'areas', 'overview', 'warm', 'median_ms'), 'ms', 0)}"))
    lines.append(row("one threshold-lever move (all figures, fairness, curves)",
                     lambda x: _fmt(_get(x, "areas", "thresholds", "move_median_ms"), "ms")))
    lines.append(row("threshold bins load", lambda x: _fmt(_get(x, "areas", "thresholds", "load_bins_median_s"), "s", 3)))
    lines.append(row("Performance page data (month grain), cold / warm",
                     lambda x: f"{_fmt(_first(_get(x, 'areas', 'performance', 'stores')), 'ms', 0)} / "
                               f"{_fmt(_first(_get(x, 'areas', 'performance', 'stores'), 'page_data_month_median_ms'), 'ms', 0)}"))
    lines.append(row("Performance peer: monthly AUC from raw rows",
                     lambda x: _fmt(_first(_get(x, 'areas', 'performance', 'stores'), 'peer_raw_rows_monthly_auc', 'median_ms'), "ms", 0)))
    lines.append(row("Challengers: paired sample (r_shadow) + comparison, cold / warm",
                     lambda x: f"{_fmt(_get(x, 'areas', 'challengers', 'cold_total_s'), 's')} / "
                               f"{_fmt(_get(x, 'areas', 'challengers', 'total_median_s'), 's')}"))
    lines.append(row("Impact scorecard (quarter + report), cold / warm",
                     lambda x: f"{_fmt(_get(x, 'areas', 'impact', 'cold_first_scorecard_s'), 's', 3)} / "
                               f"{_fmt(_get(x, 'areas', 'impact', 'warm_page_prep_quarter_with_report_median_s'), 's', 3)}"))
    lines.append(row("Impact peer: monthly trend from raw rows",
                     lambda x: _fmt(_get(x, "areas", "impact", "peer_raw_rows_monthly_trend_median_s"), "s", 3)))
    lines.append(row("one decision explained with reasons (champion, warm)",
                     lambda x: _fmt(_get(x, "areas", "decisions", "models", "gbm_champion",
                                         "explanation_and_reasons_warm_ms_median"), "ms")))
    lines.append(row("Decisions queue page (7 days)", lambda x: _fmt(_get(x, "areas", "decisions", "queue_page_ms_median"), "ms")))
    lines.append(row("application by id (with day / deep link)",
                     lambda x: f"{_fmt(_get(x, 'areas', 'decisions', 'application_by_id_with_day_ms_median'), 'ms')} / "
                               f"{_fmt(_get(x, 'areas', 'decisions', 'application_by_id_deep_link_ms_median'), 'ms')}"))
    lines.append(row("Prometheus scrape: cold (new process) / warm, version check / warm, background",
                     lambda x: f"{_fmt(_first(_get(x, 'areas', 'metrics', 'stores'), 'cold_first_scrape', 'median_ms'), 'ms', 0)} / "
                               f"{_fmt(_first(_get(x, 'areas', 'metrics', 'stores'), 'warm_scrape_sync', 'median_ms'), 'ms')} / "
                               f"{_fmt(_first(_get(x, 'areas', 'metrics', 'stores'), 'warm_scrape_background', 'median_ms'), 'ms', 3)}"))
    lines.append("\n## Drift against Evidently (same windows, same run)\n\n" + head)
    lines.append(row("windows (reference / current)", lambda x: f"{_fmt(_get(x, 'drift', 'reference_window'))} / "
                                                            f"{_fmt(_get(x, 'drift', 'current_window'))}"))
    lines.append(row("rows per window (champion)", lambda x: f"{_fmt(_get(x, 'drift', 'reference_rows'))} / "
                                                         f"{_fmt(_get(x, 'drift', 'current_rows'))}"))
    lines.append(row("features", lambda x: _fmt(_get(x, "drift", "features"))))
    lines.append(row("ours: every feature, score and concept statistic from rollups",
                     lambda x: _fmt(_get(x, "drift", "ours_median_s"), "s", 3)))
    lines.append(row("Evidently DataDriftPreset, rows per window",
                     lambda x: _fmt(_get(x, "drift", "evidently_rows_per_window"))))
    lines.append(row("Evidently DataDriftPreset", lambda x: _fmt(_get(x, "drift", "evidently_datadrift_median_s"), "s", 1)))
    lines.append(row("**ratio Evidently / ours**", lambda x: _fmt(_get(x, "drift", "ratio_evidently_sample_over_ours"), "x", 0)))
    comp = next((x.get("compaction") for x in st if x.get("compaction")), None)
    if comp:
        b, a = comp["before"], comp["after"]
        lines.append(f"\n## Compaction ({comp['batches']} live batches of {comp['rows_per_batch_per_model']} applications "
                     f"x 3 models into the last day of {label(int(sizes[0]))})\n\n"
                     "| read | before compact | after compact |\n|---|---:|---:|\n")
        lines.append(f"| files in the day's partitions | {b['files_in_last_day']} | {a['files_in_last_day']} |\n")
        for key in ("decision_queue_7_days", "application_by_id", "count_last_day", "store_open_and_refresh"):
            lines.append(f"| {key.replace('_', ' ')} | {b[key]['median_ms']:.0f} ms | {a[key]['median_ms']:.0f} ms |\n")
        lines.append(f"| live batch write (median) | {comp['live_batch_write_median_ms']:.0f} ms | |\n")
        lines.append(f"| `compact` itself | {comp['compact_s']:.1f} s | |\n")
    errors = [(label(int(n)), k, v["error"][:300]) for n in sizes for k, v in results["stores"][n].items()
              if isinstance(v, dict) and "error" in v]
    errors += [(label(int(n)), f"areas.{k}", v["error"][:300]) for n in sizes
               for k, v in (results["stores"][n].get("areas") or {}).items() if isinstance(v, dict) and "error" in v]
    errors += [(label(int(n)), f"{k} (a round)", message) for n in sizes for k, v in results["stores"][n].items()
               if isinstance(v, dict) for message in v.get("failed_rounds", [])]
    if errors:
        lines.append("\n## Sections that failed in this run\n\n")
        lines += [f"- {n} {k}: `{e.splitlines()[-1] if e else ''}`\n" for n, k, e in errors]
    return "".join(lines)


def _pair(section: str, page: str, digits: int) -> Callable[[dict[str, Any]], str]:
    """'cold / warm' of one page from the AppTest ('pages') or the browser ('browser') section."""
    def cell(x: dict[str, Any]) -> str:
        base = _get(x, section) if section == "pages" else _get(x, section, "pages")
        return f"{_fmt(_get(base, page, 'cold_s'))} / {_fmt(_get(base, page, 'warm_median_s'), digits=digits)}"
    return cell


def _loads(value: Any) -> str:
    """A section's load averages: one per round of an interleaved section."""
    return "/".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _first(stores: Any, *keys: str) -> Any:
    """bench_performance reports per labelled store; the suite gives it one. Default: cold call."""
    if not isinstance(stores, dict) or not stores:
        return None
    one = next(iter(stores.values()))
    return _get(one, *keys) if keys else _get(one, "cold_first_call_ms")


def main() -> int:  # noqa: C901  (the run's orchestration: one branch per option and section order)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--skip", default="", help=f"comma-separated sections to skip: {','.join(SECTIONS)}")
    parser.add_argument("--evidently-rows", type=int, default=1_000_000,
                        help="rows per window for Evidently on the biggest store (smaller stores: 100,000)")
    parser.add_argument("--keep", action="store_true",
                        help="keep today's earlier figures for sections and sizes not run now (merge)")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only rewrite RESULTS.md from a results file (no measuring)")
    args = parser.parse_args()
    if args.render:
        rendered: dict[str, Any] = json.loads(args.render.read_text())
        rendered["goals"] = summarize(rendered)
        args.render.write_text(json.dumps(rendered, indent=2, default=str) + "\n", "utf-8")
        write_markdown(rendered)
        return 0
    skip = {s for s in args.skip.split(",") if s}
    started = dt.datetime.now()
    results: dict[str, Any] = {"date": started.isoformat(timespec="seconds"), "machine": machine(),
                               "sizes": args.sizes, "skipped": sorted(skip), "stores": {}}
    earlier = RESULTS / f"{started.date().isoformat()}.json"
    if args.keep and earlier.exists():
        old = json.loads(earlier.read_text())
        results["stores"] = old.get("stores", {})
        results["runs"] = [*old.get("runs", [old["date"]]), results["date"]]
    built = stores(args.sizes)
    biggest = max(args.sizes)
    sections: dict[str, Callable[[int, Path], Any]] = {
        "ingest": lambda n, root: ingest(Path(built[n]["portfolio"])) if n == min(args.sizes) else None,
        "batch": lambda n, root: daily_batches(root),
        "pages": lambda n, root: page_prep(root),
        "areas": lambda n, root: areas(root),
        "drift": lambda n, root: drift(root, args.evidently_rows if n == biggest else 100_000,
                                       1 if n == biggest else 3),
        "browser": lambda n, root: bench_browser(root, shots=STORES / f"screenshots-{n}"),
        "compaction": lambda n, root: bench_compaction(root, 360, 20) if n == min(args.sizes) else None,
    }
    def run_section(n: int, name: str, into: str | None = None) -> None:
        entry: dict[str, Any] = results["stores"].setdefault(str(n), {})
        entry.update(built[n])
        say(f"{label(n)}: {name}")
        # the 1-minute load average when the section starts: this machine is shared
        loads = entry.setdefault("load_average", {})
        earlier = loads.get(name) if into and isinstance(loads.get(name), list) else []
        loads[name] = [*earlier, round(os.getloadavg()[0], 1)]
        start = time.perf_counter()
        try:
            value = sections[name](n, Path(built[n]["store"]))
        except Exception as exc:  # noqa: BLE001  (one failing section is reported, the others still run)
            value = {"error": f"{type(exc).__name__}: {exc}"}
        if value is not None:
            if into:
                entry.setdefault(into, []).append(value)
            else:
                entry[name] = value
        say(f"{label(n)}: {name} done in {time.perf_counter() - start:.0f} s")
        write(results, args.keep)

    for n in args.sizes:
        for name in FIRST:
            if name not in skip:
                run_section(n, name)
    # The sizes alternate, round after round, so that a busy minute on this shared machine
    # falls on both sides of a 10M/1M ratio; each figure is the median over the rounds.
    for name in INTERLEAVED:
        if name in skip:
            continue
        for n in args.sizes:  # a rerun on the same day (--keep) starts its rounds afresh
            entry = results["stores"].setdefault(str(n), {})
            entry.pop(f"{name}_rounds", None)
            entry.get("load_average", {}).pop(name, None)
        for _ in range(ROUNDS):
            for n in args.sizes:
                run_section(n, name, into=f"{name}_rounds")
        for n in args.sizes:
            entry = results["stores"][str(n)]
            entry[name] = combine_rounds(name, entry[f"{name}_rounds"])
    for n in args.sizes:
        for name in LAST:
            if name not in skip:
                run_section(n, name)
    write(results, args.keep)  # picks up what another run wrote meanwhile
    results["goals"] = summarize(results)
    results["seconds"] = round((dt.datetime.now() - started).total_seconds())
    path = write(results, args.keep)
    write_markdown(results)
    say(f"wrote {path} and {HERE / 'RESULTS.md'}")
    print(json.dumps(results["goals"], indent=2, default=str))
    return 0


def write_markdown(results: dict[str, Any]) -> Path:
    target = HERE / "RESULTS.md"
    # the hand-written reading of the figures below the marker survives a rerun
    notes = target.read_text("utf-8").partition(NOTES)[2] if target.exists() else ""
    target.write_text(render_markdown(results) + "\n" + NOTES + (notes or "\n"), "utf-8")
    return target


def write(results: dict[str, Any], keep: bool = False) -> Path:
    """Today's results file; with `keep`, sizes this run did not measure are taken from the file as it is now."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{results['date'][:10]}.json"
    if keep and path.exists():
        on_disk = json.loads(path.read_text()).get("stores", {})
        mine = {str(n) for n in results["sizes"]}
        results["stores"] = {**{k: v for k, v in on_disk.items() if k not in mine},
                             **{k: v for k, v in results["stores"].items() if k in mine}}
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", "utf-8")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
