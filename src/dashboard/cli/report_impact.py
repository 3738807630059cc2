"""dashboard report impact --period P --format html|csv|json"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import EXIT_FOUND, fail, store_from, window_from

FAIL_LEVELS = {"never": (), "off-track": ("off track",), "at-risk": ("off track", "at risk")}


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", default="latest", metavar="PERIOD",
                        help="the period to report on, or latest (default): the calendar month of the newest data")
    parser.add_argument("--format", choices=("html", "csv", "json"), default="json", dest="fmt",
                        help="html: the printable one-page report; csv: one row per figure; json (default)")
    parser.add_argument("--out", type=Path, default=None, help="write to this file instead of stdout")
    parser.add_argument("--fail-on", choices=tuple(FAIL_LEVELS), default="never",
                        help="exit 1 when a point is off track (or at risk); default never")


def _run(args: argparse.Namespace) -> int:
    from dashboard.analytics.periods import PeriodError, month_period
    from dashboard.analytics.scorecard import POINTS, scorecard_frame, scorecard_json
    from dashboard.reports.impact_report import render_impact_html
    from dashboard.services.impact import load_champion_span, load_impact
    from dashboard.services.stores import StoreError

    try:
        store = store_from(args, create=False)
    except StoreError as exc:
        return fail(str(exc))
    span = load_champion_span(store)
    if span is None:
        return fail("the store holds no prediction logs of a champion model yet: register a model and "
                    "ingest its logs (dashboard ingest predictions --help)")
    try:
        period = month_period(span[1].year, span[1].month) if args.period.strip().lower() == "latest" else \
            window_from(args.period, "--period", span[1])
    except PeriodError as exc:
        return fail(str(exc))
    result = load_impact(store, period)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.scorecard is None:
        return fail(result.message)   # nothing to report on in that period, or unusable assumptions
    card = result.scorecard
    if args.fmt == "csv":
        text = scorecard_frame(card).to_csv(index=False)
    elif args.fmt == "json":
        text = json.dumps(scorecard_json(card), indent=2, default=str) + "\n"
    else:
        text = render_impact_html(card, result.trend, result.assumptions)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, "utf-8")
        print(f"ok: impact scorecard for {period.label} written to {args.out}")
    else:
        sys.stdout.write(text)
    bad = [POINTS[p][0] for p in POINTS if card.point_status(p) in FAIL_LEVELS[args.fail_on]]
    if bad:
        print(f"{', '.join(bad)}: {args.fail_on.replace('-', ' ')} or worse in {period.label}", file=sys.stderr)
        return EXIT_FOUND
    return 0


COMMANDS = [
    Command(("report", "impact"), "The seven-point impact scorecard (HTML, CSV or JSON).",
            "The executive's impact scorecard for a period: Responsibility, Cash, Labor, Time,\n"
            "Profit/Cost, Growth and Utilization of Assets, each with its value, change against the\n"
            "previous period, target, status and how it was computed. Targets come from\n"
            "config/impact_targets.toml (or $DASHBOARD_IMPACT_TARGETS); business assumptions from\n"
            "config/business.toml.\n\n"
            "Examples:\n  dashboard report impact --period 2026-04 --format json\n"
            "  dashboard report impact --period 2026-Q2 --format html --out impact-2026-Q2.html\n"
            "  dashboard report impact --period 2026-04-01:2026-05-15 --format csv --fail-on off-track\n"
            "  dashboard report impact --period last-3m",
            _configure, _run, detects="a point is off track (or at risk) with --fail-on", windows=True),
]
