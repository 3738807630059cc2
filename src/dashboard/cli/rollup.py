"""dashboard rollup rebuild [--engine duckdb|spark] [--master URL] [--models ...] [--from DATE --to DATE]"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
from typing import TYPE_CHECKING, Any

from dashboard.cli import Command
from dashboard.cli._common import fail, progress_bar, store_from, unknown_model_message

if TYPE_CHECKING:
    from dashboard.store import Store

MONTH_TEXT = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def _month(text: str | None, option: str) -> str | None:
    """The month (YYYY-MM) of a --from/--to date; rollup files are months, so a rebuild is too."""
    if text is None:
        return None
    if not MONTH_TEXT.match(text):
        raise ValueError(f"{option} {text!r}: expected a date YYYY-MM-DD or a month YYYY-MM")
    try:
        dt.date.fromisoformat(text if len(text) == 10 else f"{text}-01")
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a date") from None
    return text[:7]


def _rebuild(store: Store, args: argparse.Namespace, scope: dict[str, Any]) -> int:
    with progress_bar("rebuilding rollups", "partition") as bar:
        if args.engine == "duckdb":
            return store.rebuild_rollups(bar, **scope)
        from dashboard.spark.engine import SparkRollups
        from dashboard.spark.session import spark_session

        spark = spark_session(args.master, shuffle_partitions=args.shuffle_partitions)
        with SparkRollups(store, spark) as engine:
            return store.rebuild_rollups(bar, source=engine, **scope)


def _run(args: argparse.Namespace) -> int:
    try:
        first, last = _month(args.start, "--from"), _month(args.end, "--to")
    except ValueError as exc:
        return fail(str(exc))
    if first and last and first > last:
        return fail(f"--from {args.start} is after --to {args.end}")
    store = store_from(args, create=False)   # no store: StoreError, a message and exit 2 (see cli.main)
    if args.models and (problem := unknown_model_message(args.models, store.list_cards())):
        return fail(problem)
    scope = {"models": args.models, "first_month": first, "last_month": last}
    changes = store.rollup_format_changes()
    start = time.perf_counter()
    n = _rebuild(store, args, scope)
    where = f" ({_describe(args.models, first, last)})" if args.models or first or last else ""
    print(f"rebuilt {n} rollup partitions{where} with {args.engine} in {time.perf_counter() - start:.1f} s")
    for change in changes:
        print(f"note: {change}")
    return 0


def _describe(models: list[str] | None, first: str | None, last: str | None) -> str:
    return f"{', '.join(sorted(models)) if models else 'every model'}; months {first or 'first'} to {last or 'last'}"


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="duckdb (default, on this machine) or spark (needs the [spark] extra and Java)")
    parser.add_argument("--master", help="Spark master URL (spark engine; default: spark-submit's, else local[*])")
    parser.add_argument("--shuffle-partitions", type=int, default=None,
                        help="spark.sql.shuffle.partitions (spark engine; default: the cluster's)")
    parser.add_argument("--models", nargs="+", metavar="MODEL", help="only these models (default: all)")
    parser.add_argument("--from", dest="start", metavar="DATE",
                        help="first month to rebuild (YYYY-MM or a date in it; default: the first)")
    parser.add_argument("--to", dest="end", metavar="DATE",
                        help="last month to rebuild (YYYY-MM or a date in it; default: the last)")


COMMANDS = [Command(("rollup", "rebuild"), "Recompute the rollups from the logs (all, or some models and months).",
                    "Recompute the per-model, per-day rollups (counts, score histograms, feature\n"
                    "histograms, labelled counts, the shadow sample, the month grain) from the\n"
                    "prediction logs and outcomes. Gives the same files as the incremental updates\n"
                    "made on ingest, with either engine. --models and --from/--to rebuild only those\n"
                    "models and whole months, reading no other month's logs (a label backfill).\n"
                    "A store written by an older version is moved to the current rollup format\n"
                    "(the command says what that changes).\n\n"
                    "Examples:\n  dashboard --store var/store rollup rebuild\n"
                    "  dashboard --store /shared/store rollup rebuild --engine spark --master spark://head:7077\n"
                    "  dashboard --store var/store rollup rebuild --from 2025-01 --to 2025-06",
                    _configure, _run)]
