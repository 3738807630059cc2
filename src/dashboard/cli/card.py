"""dashboard card draft --predictions FILE --model-id ID [--out card.yaml]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard.cli import Command


def _configure_draft(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--predictions", type=Path, required=True, metavar="FILE",
                        help="a prediction log of the model (CSV, Parquet or JSON Lines) with its feature columns")
    parser.add_argument("--model-id", required=True, metavar="ID",
                        help="the model's id (letters, digits, '_', '-', '.'); when the log has a model_id column, "
                             "only that model's rows are read")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="write the card here (default: print it)")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")


def _run_draft(args: argparse.Namespace) -> int:
    # Heavy imports here, not at the top: building the parser for `--help` must stay fast.
    from dashboard.cli._common import fail
    from dashboard.contracts import check_id
    from dashboard.models.card_draft import DraftError, compute_card_draft, render_card_yaml
    from dashboard.services.ingest import InputFileError, read_table

    try:
        check_id(args.model_id)
    except ValueError as exc:
        return fail(str(exc), 2)
    if args.out is not None and args.out.exists() and not args.force:
        return fail(f"{args.out} exists; pass --force to overwrite it", 2)
    if not args.predictions.exists():
        return fail(f"no such file: {args.predictions}", 2)
    try:
        frame = read_table(args.predictions)
        draft = compute_card_draft(frame, args.model_id)
    except (InputFileError, DraftError) as exc:
        return fail(f"{args.predictions}: {exc}" if isinstance(exc, DraftError) else str(exc), 2)
    text = render_card_yaml(draft, args.predictions.name)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    kinds = {t: sum(f.type == t for f in draft.features) for t in ("numeric", "categorical")}
    print(f"wrote {args.out}: {len(draft.features)} features ({kinds['numeric']} numeric, "
          f"{kinds['categorical']} categorical), {len(draft.protected)} protected attribute(s) and "
          f"{len(draft.personal)} personal column(s) suggested, from {draft.rows:,} rows", file=sys.stderr)
    print("fill owner, algorithm, target, training, and each feature's description and reason_template, "
          f"review the rest, then: dashboard register-model {args.out}", file=sys.stderr)
    return 0


COMMANDS = [Command(("card", "draft"), "Draft a model card from a prediction log.",
                    "Draft a model card (YAML) from a prediction log: one feature per column that is not\n"
                    "part of the log contract, numeric when every filled value is a number (categories\n"
                    "and min/max read from the data), protected attributes and personal columns suggested\n"
                    "by their names (each commented for review). Descriptions, reason templates, owner,\n"
                    "algorithm, target and training are left for you to fill; the header lists them.\n\n"
                    "Example:\n  dashboard card draft --predictions logs/2026-04.parquet --model-id my_model \\\n"
                    "      --out models/my_model/card.yaml",
                    _configure_draft, _run_draft)]
