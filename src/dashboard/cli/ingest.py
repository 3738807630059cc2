"""dashboard ingest predictions|outcomes FILE..."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from dashboard.cli import Command
from dashboard.cli._common import EXIT_FOUND, fail, missing_files, progress_bar, store_from

if TYPE_CHECKING:
    from dashboard.services.ingest import IngestReport

REJECTED = "rows rejected (the good rows of the same files are stored)"


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV, Parquet or JSON Lines files")


def _finish(report: IngestReport) -> int:
    for line in report.lines():
        print(line, file=sys.stdout if not line.startswith("  error") else sys.stderr)
    if report.ok:
        print(f"ok: {report.stored:,} {report.kind} rows stored")
        return 0
    print(f"some {report.kind} rows were rejected: fix them and ingest the file again "
          "(rows already stored are skipped)", file=sys.stderr)
    return EXIT_FOUND


def _missing(args: argparse.Namespace) -> int | None:
    # Checked before anything is read, so a typo in one name ingests nothing rather than the rest.
    gone = missing_files(args.files)
    return fail(f"no such file: {', '.join(gone)}; nothing was ingested") if gone else None


def _run_predictions(args: argparse.Namespace) -> int:
    if (code := _missing(args)) is not None:
        return code
    from dashboard.services.ingest import ingest_prediction_files

    store = store_from(args)
    if not store.list_cards():
        return fail("no model is registered; run `dashboard register-model CARD` first")
    with progress_bar("rollups", "partition") as bar:
        return _finish(ingest_prediction_files(store, args.files, bar))


def _run_outcomes(args: argparse.Namespace) -> int:
    if (code := _missing(args)) is not None:
        return code
    from dashboard.services.ingest import ingest_outcome_files

    with progress_bar("rollups", "partition") as bar:
        return _finish(ingest_outcome_files(store_from(args), args.files, bar))


COMMANDS = [
    Command(("ingest", "predictions"), "Load prediction log files.",
            "Load prediction log files (one row per model score).\n\n"
            "Required columns: prediction_id, model_id, timestamp, application_id, score (0..1, the\n"
            "probability of the bad outcome); optional decision (approve/decline/review), latency_ms,\n"
            "and one column per feature of the model's card. The model must be registered first.\n"
            "Rows already stored (same prediction_id) are skipped; bad rows go to quarantine with\n"
            "their reason and the command exits 1.\n\n"
            "Example:\n  dashboard --store var/store ingest predictions logs/2025-06.csv logs/2025-07.parquet",
            _configure, _run_predictions, detects=REJECTED),
    Command(("ingest", "outcomes"), "Load outcome (label) files.",
            "Load outcomes that arrived for past applications.\n\n"
            "Required columns: application_id, outcome_timestamp, label (1 = defaulted/bad, 0 = good);\n"
            "optional loan_amount, loss_amount. Rows already stored (same application_id and\n"
            "outcome_timestamp) are skipped; bad rows go to quarantine with their reason and the\n"
            "command exits 1.\n\n"
            "Example:\n  dashboard ingest outcomes outcomes/2025-Q4.csv",
            _configure, _run_outcomes, detects=REJECTED),
]
