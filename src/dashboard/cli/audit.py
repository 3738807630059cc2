"""dashboard audit verify [--from DATE --to DATE]"""

from __future__ import annotations

import argparse
import datetime as dt

from dashboard.cli import Command
from dashboard.cli._common import EXIT_FOUND, fail, store_from


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day to check, YYYY-MM-DD (default: the first)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="last day to check, YYYY-MM-DD (default: the last)")


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} must be a date as YYYY-MM-DD, got {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    from dashboard.services.audit import verify_records

    try:
        start, end = _day(args.start, "--from"), _day(args.end, "--to")
    except ValueError as exc:
        return fail(str(exc))
    if start and end and start > end:
        return fail(f"--from {start} is after --to {end}")
    report = verify_records(store_from(args, create=False), start, end)
    span = f"{len(report.days):,} kind-days"
    old = f"; {report.unchained:,} events from before the chain existed (unchained)" if report.unchained else ""
    broken = report.first_break
    if broken is not None:
        print(f"chain broken at {broken.kind}/{broken.day}: {broken.broken}")
        return EXIT_FOUND
    if report.state == "empty":
        print("no chained record in the range: nothing to verify")
    else:
        print(f"chain intact: {report.chained:,} chained events in {span}{old}")
    return 0


COMMANDS = [Command(("audit", "verify"), "Verify the records' hash chain; name the first broken link.",
                    "Check that no override, policy version, promotion, assumption change, model\n"
                    "registration or audit event was edited, deleted, moved or reordered since it was\n"
                    "written: each carries the hash of the one before it (per kind and day) and each\n"
                    "day's head records the last. Events written before the chain existed are counted\n"
                    "as unchained, not broken. Activity counts (ingest batches, API access,\n"
                    "notifications, alert runs) are not chained.\n\n"
                    "Example:\n  dashboard audit verify --from 2026-01-01 --to 2026-01-31",
                    _configure, _run, detects="a broken link in the chain (the first one is named)")]
