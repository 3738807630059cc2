"""dashboard backup --to DIR [--copy]"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import store_from


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", dest="dest", type=Path, required=True, metavar="DIR",
                        help="the backup folder: new or empty, outside the store")
    parser.add_argument("--copy", action="store_true",
                        help="copy every file even where a hard link would do (a backup on the same disk that "
                             "survives the store's files being edited in place)")


def _run(args: argparse.Namespace) -> int:
    from dashboard.services.backup import take_backup

    start = time.perf_counter()
    stats = take_backup(store_from(args, create=False), args.dest, args.copy)
    how = f"{stats.linked:,} hard-linked, {stats.copied:,} copied" if stats.linked else f"{stats.copied:,} copied"
    print(f"backed up {stats.files:,} files ({stats.bytes / 1e6:,.1f} MB; {how}) as of {stats.taken_at} UTC "
          f"to {args.dest.resolve()} in {time.perf_counter() - start:.1f} s")
    return 0


COMMANDS = [Command(("backup",), "Take a consistent backup of the store, writers running.",
                    "Snapshot the store into a new folder while ingests, the API and the app keep\n"
                    "running: logs, rollups, models, quarantine and every event up to the moment of the\n"
                    "snapshot. Files are never rewritten in place, so unchanged files are hard links\n"
                    "where the file system allows (instant, no space), copies otherwise or with --copy.\n"
                    "The writer lock is held only while the files are linked (milliseconds to seconds).\n"
                    "Bring it back with `dashboard restore`.\n\n"
                    "Example:\n  dashboard --store var/store backup --to /backups/store-$(date +%F)",
                    _configure, _run)]
