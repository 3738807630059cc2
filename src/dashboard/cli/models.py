"""dashboard register-model CARD [--artifact FILE] [--reference FILE]"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import fail, store_from


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("card", type=Path, help="model card YAML")
    parser.add_argument("--artifact", type=Path, help="the model saved with skops.io.dump")
    parser.add_argument("--reference", type=Path,
                        help="training or reference data (CSV/Parquet/JSONL) with the card's feature columns; "
                             "fixes the drift bins and is the default drift reference")


def _run(args: argparse.Namespace) -> int:
    from dashboard.services.ingest import RegistrationError, register_model_files

    try:
        notes = register_model_files(store_from(args), args.card, args.artifact, args.reference)
    except RegistrationError as exc:
        return fail(f"{exc}\nnothing was registered")
    for note in notes:
        print(note)
    return 0


COMMANDS = [Command(("register-model",), "Register a model card (and its skops artifact).",
                    "Register a model: its card (YAML), optionally the model saved with skops and\n"
                    "reference data. Everything is checked before anything is written; a non-skops\n"
                    "file or one with untrusted types is refused.\n\n"
                    "Example:\n  dashboard register-model models/my_model/card.yaml \\\n"
                    "      --artifact models/my_model/model.skops --reference training.parquet",
                    _configure, _run)]
