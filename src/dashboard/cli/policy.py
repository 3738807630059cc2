"""dashboard policy show|export: the decision policies in force, for people and the serving system."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import fail, store_from, unknown_model_message


def _configure_show(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", action="append", metavar="ID",
                        help="model id (repeatable; default: every registered model)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    parser.add_argument("--history", action="store_true", help="also list every policy version")


def _configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", action="append", metavar="ID",
                        help="model id (repeatable; default: every registered model)")
    parser.add_argument("--format", choices=("json",), default="json", help="output format (only json)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")


def _models(args: argparse.Namespace) -> list[str]:
    from dashboard.services.stores import StoreError

    store = store_from(args, create=False)
    cards = store.list_cards()
    if not cards:
        raise StoreError(f"no model is registered in {store.root}")
    wanted = args.model or sorted(cards)
    problem = unknown_model_message(wanted, cards)
    if problem:
        raise StoreError(problem)
    return wanted


def _run_show(args: argparse.Namespace) -> int:
    from dashboard.services.policy import policy_export, policy_log
    from dashboard.services.stores import StoreError

    try:
        models = _models(args)
        store = store_from(args, create=False)
        data = policy_export(store, models)
        logs = {m: policy_log(store, m) for m in models} if args.history else {}
    except StoreError as exc:
        return fail(str(exc))
    if args.format == "json":
        if args.history:
            data["history"] = logs
        print(json.dumps(data, indent=2, default=str))
        return 0
    for model_id, policy in data["models"].items():
        actor = policy["actor"] or "model card"
        when = policy["effective_at"] or "from registration"
        print(f"{model_id}: v{policy['version']} {policy['rule']}  ({actor}, effective {when})")
        for later in policy["scheduled"]:
            print(f"  scheduled: v{later['version']} cutoff {later['cutoff']} from {later['effective_at']}")
        for row in reversed(logs.get(model_id, [])):
            band = f" review from {row['review_from']}" if row["review_from"] is not None else ""
            old = f" (was {row['previous_cutoff']})" if row["previous_cutoff"] is not None else ""
            print(f"  v{row['version']} [{row['status']}] cutoff {row['cutoff']}{band}{old} by {row['actor']} "
                  f"effective {row['effective_at'] or '-'}: {row['rationale']}")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from dashboard.services.policy import policy_export
    from dashboard.services.stores import StoreError

    try:
        data = policy_export(store_from(args, create=False), _models(args))
    except StoreError as exc:
        return fail(str(exc))
    text = json.dumps(data, indent=2, default=str)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", "utf-8")
        print(f"wrote the policies of {len(data['models'])} model(s) to {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


COMMANDS = [
    Command(("policy", "show"), "Show the decision policy in force per model.",
            "Show the policy in force for each model (cutoff, review band, who applied it and\n"
            "when), any scheduled later version, and with --history every version.\n\n"
            "Example:\n  dashboard policy show --model gbm_champion --history", _configure_show, _run_show),
    Command(("policy", "export"), "Export the policies in force as JSON for the serving system.",
            "Write the policies in force (and scheduled ones) as JSON: per model the cutoff, the\n"
            "review band, the version and its effective time, and the rule in words.\n\n"
            "Example:\n  dashboard policy export --format json --out policy.json", _configure_export, _run_export),
]
