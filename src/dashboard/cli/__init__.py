"""The `dashboard` command. Each module in this package adds its own subcommands.

A module declares COMMANDS, a list of Command; a path of two words ("report", "drift")
nests under a group. New features add a module here instead of editing this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dashboard import __version__


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


GROUP_HELP = {
    "ingest": "Load prediction logs or outcomes into the store.",
    "rollup": "Maintain the derived rollups.",
    "report": "Print figures for cron or CI; exits non-zero when a rule fails.",
    "policy": "Show or export decision policies.",
    "card": "Draft model cards from prediction logs.",
}


def _commands() -> list[Command]:
    found: list[Command] = []
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "COMMANDS", []))
    return found


def _add_store_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--store", default=default, metavar="DIR",
                        help="store folder (default: $DASHBOARD_STORE or var/store)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dashboard",
        description="Operations dashboard for credit decision models.",
        epilog="Example: dashboard --store var/store demo && dashboard serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_store_option(parser, None)
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, argparse._SubParsersAction] = {}
    for cmd in _commands():
        target = top
        if len(cmd.path) == 2:
            group = cmd.path[0]
            if group not in groups:
                gp = top.add_parser(group, help=GROUP_HELP.get(group, group), description=GROUP_HELP.get(group))
                groups[group] = gp.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
                gp.set_defaults(_group_parser=gp)
            target = groups[group]
        sub = target.add_parser(cmd.path[-1], help=cmd.help, description=cmd.description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
        _add_store_option(sub, argparse.SUPPRESS)
        cmd.configure(sub)
        sub.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        group_parser = getattr(args, "_group_parser", None)
        (group_parser or parser).print_help()
        return 2
    try:
        return int(run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
