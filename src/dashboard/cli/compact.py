"""dashboard compact"""

from __future__ import annotations

import argparse
import time

from dashboard.cli import Command
from dashboard.cli._common import fail, progress_bar, store_from


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-files", type=int, default=2,
                        help="compact partitions holding at least this many files (default 2, the least)")


def _run(args: argparse.Namespace) -> int:
    if args.min_files < 2:
        return fail(f"--min-files must be at least 2 (one file is already compact), got {args.min_files}")
    store = store_from(args, create=False)
    start = time.perf_counter()
    with progress_bar("compacting", "partition") as bar:
        stats = store.compact(args.min_files, bar)
    print(f"merged {stats['files_before']:,} files into {stats['files_after']:,} in "
          f"{stats['partitions']:,} partitions, {time.perf_counter() - start:.1f} s")
    return 0


COMMANDS = [Command(("compact",), "Merge small Parquet files per partition.",
                    "Merge the many small files that live logging leaves in each partition into one\n"
                    "file per partition. Each partition folder is swapped atomically, so a running\n"
                    "app never sees a partition missing or doubled. Safe to run from cron.\n\n"
                    "Example:\n  dashboard --store var/store compact",
                    _configure, _run)]
