"""dashboard restore --from DIR --to STORE [--force] [--copy]"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dashboard.cli import Command


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR",
                        help="a folder written by `dashboard backup`")
    parser.add_argument("--to", dest="target", type=Path, required=True, metavar="STORE",
                        help="the store folder to restore into (new or empty; see --force)")
    parser.add_argument("--force", action="store_true",
                        help="replace a store that is not empty (stop the app and the API first)")
    parser.add_argument("--copy", action="store_true", help="copy every file even where a hard link would do")


def _run(args: argparse.Namespace) -> int:
    from dashboard.services.backup import restore_store

    start = time.perf_counter()
    stats = restore_store(args.source, args.target, args.force, args.copy)
    print(f"restored {stats.files:,} files ({stats.bytes / 1e6:,.1f} MB) of the backup taken {stats.taken_at} UTC "
          f"to {args.target.resolve()} in {time.perf_counter() - start:.1f} s")
    return 0


COMMANDS = [Command(("restore",), "Bring a backup back as a store.",
                    "Restore a folder written by `dashboard backup` into a store folder. The copy is\n"
                    "made beside the target, rollups a writer had not finished are recomputed, then it\n"
                    "is swapped in at once: a failed restore leaves the target as it was. A store that is\n"
                    "not empty is replaced only with --force (stop the app and the API first). Check\n"
                    "the result with `dashboard audit verify`.\n\n"
                    "Example:\n  dashboard restore --from /backups/store-2026-03-01 --to var/store",
                    _configure, _run)]
