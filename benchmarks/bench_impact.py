"""Benchmark: the Impact scorecard's data preparation on a big store (default 1M applications x 3 models).

Measures, on one Store handle:
- cold: the first scorecard (reads the rollup files into DuckDB, then computes);
- warm: the scorecard again for a month, a quarter and a custom period (what a page rerun costs
  without Streamlit's cache; with it a rerun is a cache hit), plus the HTML report and CSV;
- peer: the monthly trend's approvals and realized losses computed from the raw prediction log
  joined with the outcomes (what the page would cost without rollups).

Usage:
  .venv/bin/python benchmarks/bench_impact.py [--store DIR] [--applications N] [--repeat K] [--overrides N]
The store is built with `dashboard sample` + `dashboard demo` when DIR has no logs (slow: minutes).
Writes benchmarks/results/impact-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dashboard.analytics.periods import parse_period  # noqa: E402
from dashboard.analytics.scorecard import scorecard_frame  # noqa: E402
from dashboard.reports.impact_report import render_impact_html  # noqa: E402
from dashboard.services.impact import load_impact  # noqa: E402
from dashboard.store import Store  # noqa: E402
from dashboard.store.impact import load_data_span  # noqa: E402
from dashboard.store.registry import champion_id  # noqa: E402


def build_store(store_dir: Path, applications: int) -> None:
    sample = store_dir.parent / f"{store_dir.name}-sample"
    cli = str(ROOT / ".venv" / "bin" / "dashboard")
    if not (sample / "manifest.json").exists():
        subprocess.run([cli, "sample", "--out", str(sample), "--applications", str(applications)], check=True)
    subprocess.run([cli, "--store", str(store_dir), "demo", "--sample", str(sample)], check=True)


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=Path("/tmp/impact-bench-store"))
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--overrides", type=int, default=25, help="override events to add when there are none")
    args = parser.parse_args()
    if not any((args.store / "predictions").glob("model_id=*")):
        build_store(args.store, args.applications)
    store = Store(args.store)
    model = champion_id(store)
    assert model is not None
    if not store.read_events("override"):
        # A realistic page has overrides: each one costs a keyed look-up of its decision date.
        files = store.prediction_files(model)[-40:]
        ids = store.sql(f"SELECT application_id FROM {store.predictions_source(files)} "
                        "WHERE decision = 'approve' LIMIT ?", [args.overrides])["application_id"]
        for app in ids:
            store.append_event("override", {"application_id": app, "model_id": model, "from_decision": "approve",
                                            "to_decision": "decline", "reason": "benchmark override"},
                               actor="bench")
    span = load_data_span(store, model)
    assert span is not None
    last = span[1]
    month = parse_period(f"{last.year:04d}-{last.month:02d}")
    # the last full quarter of data
    q_end = dt.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1) - dt.timedelta(days=1) \
        if last.month % 3 else last
    quarter = parse_period(f"{q_end.year:04d}-Q{(q_end.month - 1) // 3 + 1}")
    mid = span[0] + (span[1] - span[0]) / 2
    custom = parse_period(f"{mid}:{mid + dt.timedelta(days=44)}")
    rows = int(store.sql("SELECT sum(n) AS n FROM r_daily")["n"].iloc[0])

    t0 = time.perf_counter()
    first = load_impact(store, month)
    cold = time.perf_counter() - t0
    assert first.scorecard is not None, first.message

    results: dict[str, list[float]] = {}
    for name, period in (("month", month), ("quarter", quarter), ("custom_45_days", custom)):
        results[f"warm_scorecard_{name}_s"] = timed(lambda p=period: load_impact(store, p), args.repeat)

    def page_prep() -> None:
        r = load_impact(store, quarter)
        assert r.scorecard is not None
        render_impact_html(r.scorecard, r.trend, r.assumptions)
        scorecard_frame(r.scorecard).to_csv(index=False)

    results["warm_page_prep_quarter_with_report_s"] = timed(page_prep, args.repeat)

    source = store.predictions_source(store.prediction_files(model))
    outcomes = store.outcomes_source()

    def peer() -> None:
        """The trend's approvals and realized losses per month from raw rows (no rollups)."""
        store.sql(f"""SELECT date_trunc('month', p.date) AS month,
                             count(*) FILTER (decision = 'approve') AS approved,
                             sum(o.loss_amount) FILTER (decision = 'approve') AS loss
                      FROM {source} p LEFT JOIN (SELECT application_id, max(loss_amount) AS loss_amount
                                                 FROM {outcomes} GROUP BY 1) o USING (application_id)
                      GROUP BY 1""")

    results["peer_raw_rows_monthly_trend_s"] = timed(peer, max(2, args.repeat // 3))
    medians = {k[:-2] + "_median_s": round(statistics.median(v), 4) for k, v in results.items()}
    report = {
        "benchmark": "impact", "date": dt.date.today().isoformat(), "store": str(args.store),
        "prediction_rows_all_models": rows, "override_events": len(store.read_events("override")), "models": len(store.list_cards()), "champion": model,
        "periods": {"month": month.label, "quarter": quarter.label, "custom": custom.label},
        "cold_first_scorecard_s": round(cold, 4), **medians,
        "runs": {k: [round(x, 4) for x in v] for k, v in results.items()},
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "target": "warm scorecard data prep under 1 s",
    }
    out = ROOT / "benchmarks" / "results" / f"impact-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
