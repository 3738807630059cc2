"""dashboard metrics: the per-model figures in the Prometheus text format, for node_exporter's textfile collector."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import fail


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, metavar="TOML",
                        help="alert rules file (default: $DASHBOARD_ALERTS_CONFIG or the packaged alerts.toml)")
    parser.add_argument("--output", default=None, metavar="FILE",
                        help="write to FILE (replaced atomically, as the textfile collector needs) instead of "
                             "standard output")


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename: the collector never reads a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)  # node_exporter runs as its own user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(args: argparse.Namespace) -> int:
    from dashboard.analytics.alerts import AlertConfigError
    from dashboard.services.metrics import render_metrics
    from dashboard.services.stores import StoreError

    output = None if args.output is None else Path(args.output)
    if output is not None and not output.parent.is_dir():
        return fail(f"--output {args.output}: no such folder {output.parent}")
    config = None if args.config is None else Path(args.config)
    if config is not None and not config.is_file():
        return fail(f"the alert rules cannot be read: no such file {args.config}")
    try:
        text = render_metrics(getattr(args, "store", None), config)
    except (StoreError, AlertConfigError) as exc:
        return fail(str(exc))
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomically(output, text)
    return 0


COMMANDS = [Command(("metrics",), "Per-model figures in the Prometheus text format.",
                    "Print each model's applications, approval rates, score PSI, realized AUC and bad rate\n"
                    "of the latest matured month, alert states and data freshness, and the quarantine's\n"
                    "size, in the Prometheus text format (the figures of the app, from the rollups).\n\n"
                    "Examples:\n  dashboard metrics\n"
                    "  dashboard metrics --output /var/lib/node_exporter/textfile/dashboard.prom",
                    _configure, _run)]
