"""dashboard simulate: a live feed of scored applications (and later outcomes) into the store."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from dashboard.cli import Command
from dashboard.cli._common import fail, store_from

if TYPE_CHECKING:
    from dashboard.sample.simulator import BatchResult


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=_positive, default=5.0, help="applications per second (default 5)")
    parser.add_argument("--duration", type=_positive, default=60.0, help="seconds to run (default 60)")
    parser.add_argument("--interval", type=_positive, default=2.0,
                        help="seconds between writes; each write is one atomic batch (default 2)")
    parser.add_argument("--outcome-delay", type=_non_negative, default=30.0, metavar="SECONDS",
                        help="seconds until an approved loan's outcome is written: a compressed stand-in "
                             "for the 3 to 12 months a real outcome takes (default 30)")
    parser.add_argument("--wait-outcomes", action="store_true",
                        help="at the end, write the outcomes not yet due instead of leaving them out")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: fresh each run)")
    parser.add_argument("--quiet", action="store_true", help="print only the final totals")


def _run(args: argparse.Namespace) -> int:
    from dashboard.sample.simulator import Simulator, SimulatorError
    from dashboard.services.stores import StoreError

    try:
        store = store_from(args, create=False)
    except StoreError as exc:
        return fail(str(exc))
    if not store.list_cards():
        return fail("no model is registered in this store; build one with `dashboard demo` first")
    sim = Simulator(store, seed=args.seed, outcome_delay=args.outcome_delay)

    def report(batch: BatchResult) -> None:
        if not args.quiet:
            print(f"{batch.at:%H:%M:%S} {batch.applications:4d} applications, {batch.approved:4d} approved "
                  f"(champion {batch.champion}, cutoff {batch.cutoff:.3f}), {batch.outcomes:4d} outcomes written",
                  flush=True)

    try:
        sim.run(args.rate, args.duration, args.interval, on_batch=report)
        if args.wait_outcomes:
            sim.flush_outcomes(everything=True)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    except (SimulatorError, StoreError) as exc:
        return fail(str(exc))
    print(json.dumps(sim.totals.to_dict(), sort_keys=True))
    return 0


COMMANDS = [Command(("simulate",), "Feed the store with live scored applications.",
                    "Draw new applications, score them with the registered models (the champion decides\n"
                    "with the policy in force, challengers score in shadow) and write predictions, and\n"
                    "later outcomes for approved loans, into the store with its atomic writes. Open the\n"
                    "dashboard meanwhile: Overview and Performance refresh in place.\n\n"
                    "Example:\n  dashboard --store /tmp/store-copy simulate --rate 10 --duration 120",
                    _configure, _run)]
