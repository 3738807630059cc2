"""Foundation benchmark: ingest throughput (Parquet, CSV) and the Overview's queries.

Run: .venv/bin/python benchmarks/bench_foundation.py [--applications 1000000]
Goals (issue 2): ingest >= 200,000 rows/s from Parquet; Overview queries < 100 ms warm on
1M applications x 3 models.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import STORES, ensure_portfolio, ensure_store, timeit, write_results
from dashboard.analytics.overview import compute_model_table, compute_period_summary, compute_trend
from dashboard.ingest.registration import register_model_files
from dashboard.ingest.service import ingest_prediction_files
from dashboard.store import Store
from dashboard.store.overview import load_daily, load_latest_outcome
from dashboard.store.portfolio import read_portfolio
from dashboard.store.registry import current_roles


def bench_ingest(portfolio: Path, csv_rows: int) -> dict[str, float]:
    files = read_portfolio(portfolio)
    figures: dict[str, float] = {}
    for fmt in ("parquet", "csv"):
        root = STORES / f"ingest-{fmt}"
        shutil.rmtree(root, ignore_errors=True)
        store = Store(root)
        for mid, card in files.cards.items():
            register_model_files(store, card, files.artifacts.get(mid), files.training)
        source = files.predictions[0]
        if fmt == "csv":
            frame = pd.read_parquet(source).head(csv_rows)
            source = STORES / "ingest-input.csv"
            frame.to_csv(source, index=False)
        rows = len(pd.read_parquet(files.predictions[0])) if fmt == "parquet" else csv_rows
        start = time.perf_counter()
        report = ingest_prediction_files(store, [source])
        seconds = time.perf_counter() - start
        assert report.ok and report.stored == rows, report.lines()
        figures[f"ingest_{fmt}_rows"] = rows
        figures[f"ingest_{fmt}_seconds"] = seconds
        figures[f"ingest_{fmt}_rows_per_s"] = rows / seconds
        shutil.rmtree(root, ignore_errors=True)
    return figures


def overview_queries(store: Store) -> None:
    daily = load_daily(store)
    roles = current_roles(store)
    champ = daily[daily["model_id"] == "gbm_champion"]
    last = pd.to_datetime(champ["date"]).max().date()
    compute_period_summary(champ, last - dt.timedelta(days=29), last)
    compute_period_summary(champ, last - dt.timedelta(days=59), last - dt.timedelta(days=30))
    compute_trend(champ, "W")
    compute_trend(champ, "M")
    compute_model_table(daily, roles, {}, {})
    load_latest_outcome(store)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--applications", type=int, default=1_000_000)
    ap.add_argument("--csv-rows", type=int, default=200_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    portfolio = ensure_portfolio(args.applications)
    figures: dict[str, object] = {"applications": args.applications,
                                  "portfolio_seconds": time.perf_counter() - t0}
    figures.update(bench_ingest(portfolio, args.csv_rows))
    root = ensure_store(args.applications)
    cold_start = time.perf_counter()
    store = Store(root)
    overview_queries(store)
    figures["overview_cold_ms"] = (time.perf_counter() - cold_start) * 1000
    figures["overview_warm"] = timeit(lambda: overview_queries(store), repeat=30)
    figures["rollup_rows"] = {k: int(store.sql(f"SELECT count(*) AS n FROM r_{k}")["n"][0])
                              for k in ("daily", "scores", "groups", "features", "latency")}
    path = write_results("foundation", figures)
    print(path.read_text())


if __name__ == "__main__":
    main()
