"""dashboard alerts run: evaluate every alert rule for every model and notify the rules' channels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.cli import Command
from dashboard.cli._common import EXIT_FOUND, EXIT_OK, fail, store_from, unknown_model_message

if TYPE_CHECKING:
    from dashboard.services.notifications import RunReport


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="evaluate this model only (default: every model with logs)")
    parser.add_argument("--config", default=None, metavar="TOML",
                        help="alert rules and channels (default: $DASHBOARD_ALERTS_CONFIG or the packaged "
                             "alerts.toml)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be sent; send nothing and record nothing")


def _print(report: RunReport, dry_run: bool) -> None:
    print(f"{len(report.in_force)} alert(s) in force across {len(report.models)} model(s)")
    for a in report.in_force:
        print(f"- {a['severity']} {a['model']} {a['rule']} ({a['period']}): {a['message']}")
    if not report.notices:
        print("nothing to send (each fired rule was sent for this period already)")
    for notice, outcome in zip(report.notices, report.outcomes, strict=True):
        what = f"{notice.message} {notice.model_id}/{notice.rule} {notice.period} to {notice.channel}"
        if dry_run or outcome is None:
            print(f"would send {what}")
        elif outcome.delivered:
            print(f"sent {what} (attempt {outcome.attempts})")
        else:
            print(f"FAILED {what} after {outcome.attempts} attempt(s): {outcome.error}")


def _run(args: argparse.Namespace) -> int:
    from dashboard.analytics.alerts import AlertConfigError
    from dashboard.services.delivery import MissingSecretError
    from dashboard.services.notifications import run_notifications
    from dashboard.services.performance import (
        alerts_config_path,
        load_alert_config,
        load_notification_config,
    )
    from dashboard.services.stores import StoreError
    from dashboard.settings import base_url

    path = Path(args.config) if args.config else alerts_config_path()
    try:
        rules, channels = load_alert_config(path), load_notification_config(path)
        store = store_from(args, create=False)
    except (StoreError, AlertConfigError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"the alert rules cannot be read: {exc}")
    if args.model and (problem := unknown_model_message([args.model], store.list_cards())):
        return fail(problem)
    try:
        report = run_notifications(store, rules, channels, [args.model] if args.model else None, base_url(),
                                   dry_run=args.dry_run, source=str(path))
    except MissingSecretError as exc:
        return fail(str(exc))
    _print(report, args.dry_run)
    if report.failed:
        print(f"{len(report.failed)} notification(s) failed, on channel(s) "
              f"{', '.join(sorted({n.channel for n, _ in report.failed}))}; the next run tries them again",
              file=sys.stderr)
    if report.in_force:
        print(f"{len(report.in_force)} alert(s) in force", file=sys.stderr)
    return EXIT_FOUND if report.in_force or report.failed else EXIT_OK


COMMANDS = [Command(("alerts", "run"), "Evaluate the alert rules and notify their channels (for cron).",
                    "Evaluate every alert rule (alerts.toml) for every model with logs and send each rule\n"
                    "in force to its channels (webhook, email) once per period, and a \"resolved\" message\n"
                    "when it clears. What was sent is kept in the store's notification events. A failing\n"
                    "channel is retried with backoff and reported; the others are still sent.\n\n"
                    "Examples:\n  dashboard alerts run --dry-run\n"
                    "  dashboard alerts run --config /etc/dashboard/alerts.toml",
                    _configure, _run, detects="an alert rule is in force for a model, or a notification could "
                                              "not be delivered")]
