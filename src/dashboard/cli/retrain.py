"""dashboard retrain --from MODEL --window A:B [--algorithm same|logistic|hgb] [--id NEW_ID] [--backfill W]"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from dashboard.cli import Command
from dashboard.cli._common import fail, progress_bar, store_from, window_from
from dashboard.contracts import ROLES

if TYPE_CHECKING:
    from dashboard.services.retraining import RetrainResult

ALGORITHM_CHOICES = ("same", "logistic", "hgb", "refresh")   # services.retraining.ALGORITHMS (not imported: no sklearn here)


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", required=True, metavar="MODEL",
                        help="the registered model to retrain (its features, card and, for 'same', its pipeline)")
    parser.add_argument("--window", required=True, metavar="A:B",
                        help="applications decided in this window whose outcome has matured are used; the latest "
                             "months of it are held out for validation")
    parser.add_argument("--algorithm", default="same", choices=ALGORITHM_CHOICES,
                        help="same: scikit-learn's clone of the source pipeline (default); logistic or hgb: a "
                             "fresh pipeline on the card's features; refresh: the source model frozen, stacked "
                             "with a fresh logistic (for few matured loans since a drift)")
    parser.add_argument("--id", dest="new_id", metavar="NEW_ID",
                        help="id of the new challenger (default <source>_rt_<YYYYMM of the window's end>)")
    parser.add_argument("--backfill", metavar="WINDOW",
                        help="the champion's applications scored in shadow right away (default: from the first "
                             "validation month to the newest day of logs); must not overlap the training months")
    parser.add_argument("--role", default="data_scientist", choices=ROLES,
                        help="the role you act as (only data_scientist and admin may retrain)")


def _run(args: argparse.Namespace) -> int:
    from dashboard.analytics.periods import PeriodError
    from dashboard.services.retraining import RetrainError, RetrainRequest, retrain
    from dashboard.services.stores import LockTimeout

    store = store_from(args, create=False)
    try:
        window = window_from(args.window, "--window", None)
        backfill = window_from(args.backfill, "--backfill", None) if args.backfill else None
    except PeriodError as exc:
        return fail(str(exc))
    request = RetrainRequest(source=args.source, start=window.start, end=window.end, algorithm=args.algorithm,
                             new_id=args.new_id, backfill_start=backfill.start if backfill else None,
                             backfill_end=backfill.end if backfill else None)
    try:
        with progress_bar("retraining", "%") as bar:
            def step(text: str, done: float) -> None:
                bar(int(done * 100), 100)
                print(f"- {text}", file=sys.stderr)

            result = retrain(store, request, actor=f"cli:{getpass.getuser()}", role=args.role, progress=step)
    except (RetrainError, PermissionError, LockTimeout) as exc:
        return fail(f"{exc}\nnothing was changed")
    print("\n".join(summary_lines(result)))
    return 0


def summary_lines(result: RetrainResult) -> list[str]:
    """What was trained, how it validated against its source, and what was backfilled."""
    v = result.validation
    lines = [f"registered challenger {result.model_id}: trained on {result.rows:,} matured loans "
             f"({result.bads:,} bads) of {', '.join(result.train_months)}",
             f"validated out of time on {v.rows:,} matured loans ({v.bads:,} bads) of {', '.join(v.months)}, "
             "never seen in training:"]
    for row in v.metrics.itertuples(index=False):
        cal = v.calibration[str(row.model_id)]
        lines.append(f"  {row.model_id}: AUC {_f(row.auc)} (95% {_f(row.auc_lo)} to {_f(row.auc_hi)}), "
                     f"realized/expected bads {_f(cal['ratio'], 2)} (95% {_f(cal['ratio_lo'], 2)} to "
                     f"{_f(cal['ratio_hi'], 2)}), Brier {_f(row.brier)}")
        if row.auc_diff is not None and row.auc_diff == row.auc_diff:
            lines.append(f"  AUC difference from the source {row.auc_diff:+.4f} (95% {row.auc_diff_lo:+.4f} to "
                         f"{row.auc_diff_hi:+.4f}, DeLong): {row.auc_verdict}")
    lines.append(f"backfilled {result.backfilled:,} shadow scores of the champion {result.champion}'s applications "
                 f"of {result.backfill[0]} to {result.backfill[1]} (marked backfilled, original timestamps): "
                 "compare them on Challengers now")
    lines.append("the card is a draft: a reviewer must still fill " + "; ".join(
        str(m).split(":")[0] for m in result.card.extra.get("review", {}).get("missing", [])))
    return lines + result.notes


def _f(value: Any, digits: int = 4) -> str:
    return "n/a" if value is None or value != value else f"{float(value):.{digits}f}"


COMMANDS = [Command(("retrain",), "Retrain a challenger on matured loans and backfill it in shadow.",
                    "Train a new challenger on the matured (approved, outcome arrived) loans of a window,\n"
                    "validate it out of time on the window's latest matured months against the source\n"
                    "model, register it with a generated card (lineage, fingerprint, validation, the\n"
                    "reject-inference bias, the fields a reviewer must fill) and score the champion's\n"
                    "recent applications in shadow so Challengers compares them at once.\n\n"
                    "Example:\n  dashboard retrain --from gbm_champion --window 2026-04-01:2026-10-31 --id gbm_rt_2026q2",
                    _configure, _run, windows=True)]
