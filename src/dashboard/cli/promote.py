"""dashboard promote MODEL --rationale TEXT"""

from __future__ import annotations

import argparse
import getpass

from dashboard.cli import Command
from dashboard.cli._common import fail, store_from
from dashboard.contracts import ROLES


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="id of the registered model to make champion")
    parser.add_argument("--rationale", required=True, help="why (stored with the promotion; required)")
    # Every role parses; the registry refuses one that may not promote and names those that may.
    parser.add_argument("--role", default="data_scientist", choices=ROLES,
                        help="the role you act as (default data_scientist; a role that may not promote is refused)")


def _run(args: argparse.Namespace) -> int:
    from dashboard.services.registry import PromotionError, promote
    from dashboard.services.stores import LockTimeout

    try:
        event = promote(store_from(args, create=False), args.model, args.rationale,
                        actor=f"cli:{getpass.getuser()}", role=args.role)
    except (PromotionError, PermissionError, LockTimeout) as exc:
        return fail(f"{exc}\nnothing was changed")
    print(f"{event['model_id']} is now the champion (was {event['previous_champion']}); "
          f"recorded at {event['at']} UTC as event {event['id']}")
    return 0


COMMANDS = [Command(("promote",), "Make a challenger the champion, with a rationale.",
                    "Promote a registered model to champion. The promotion is stored as an immutable\n"
                    "event with who, when and why; from the next batch on the new champion decides and\n"
                    "the old champion keeps scoring in shadow.\n\n"
                    "Example:\n  dashboard promote logit_scorecard --rationale \"same AUC within the intervals, "
                    "readable points\"",
                    _configure, _run)]
