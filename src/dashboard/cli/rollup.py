"""dashboard rollup rebuild"""

from __future__ import annotations

import argparse
import time

from dashboard.cli import Command
from dashboard.cli._common import progress_bar, store_from


def _run(args: argparse.Namespace) -> int:
    store = store_from(args, create=False)   # no store: StoreError, a message and exit 2 (see cli.main)
    start = time.perf_counter()
    with progress_bar("rebuilding rollups", "partition") as bar:
        n = store.rebuild_rollups(bar)
    print(f"rebuilt {n} rollup partitions in {time.perf_counter() - start:.1f} s")
    return 0


COMMANDS = [Command(("rollup", "rebuild"), "Recompute every rollup from the logs.",
                    "Recompute the per-model, per-day rollups (counts, score histograms, feature\n"
                    "histograms, labelled counts) from the prediction logs and outcomes. Gives the\n"
                    "same files as the incremental updates made on ingest.\n\n"
                    "Example:\n  dashboard --store var/store rollup rebuild",
                    lambda p: None, _run)]
