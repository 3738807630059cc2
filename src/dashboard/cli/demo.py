"""dashboard demo: build a store from the committed sample portfolio."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import fail, progress_bar, store_from


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sample", type=Path, default=Path("data/sample"),
                        help="portfolio folder made by `dashboard sample` (default data/sample)")


def _run(args: argparse.Namespace) -> int:
    if not args.sample.is_dir():   # checked before the store is created, so a typo leaves nothing behind
        return fail(f"no sample portfolio at {args.sample}: make one with `dashboard sample --out {args.sample}`")
    from dashboard.services.ingest import build_demo_store

    store = store_from(args)
    if store.prediction_files():
        print(f"{store.root} already holds prediction logs; nothing to do")
        (store.root / ".demo-built").touch()
        return 0
    start = time.perf_counter()
    try:
        with progress_bar("building the demo store", "partition") as bar:
            report = build_demo_store(store, args.sample, bar, say=lambda m: print(f"- {m}", file=sys.stderr))
    except (FileNotFoundError, ValueError) as exc:   # RegistrationError is a ValueError
        return fail(str(exc))
    for line in report:
        print(line)
    (store.root / ".demo-built").touch()
    print(f"demo store ready at {store.root} in {time.perf_counter() - start:.1f} s")
    return 0


COMMANDS = [Command(("demo",), "Build a demo store from data/sample.",
                    "Register the sample's models and ingest its predictions and outcomes into the\n"
                    "store (skipped when the store already has logs).\n\n"
                    "Example:\n  dashboard --store var/store demo --sample data/sample",
                    _configure, _run)]
