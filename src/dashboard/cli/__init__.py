"""The `dashboard` command. Each module in this package adds its own subcommands.

A module declares COMMANDS, a list of Command; a path of two words ("report", "drift")
nests under a group. New features add a module here instead of editing this file.

Every module is imported to build the parser, so `dashboard --help` costs the imports of all
of them: a command module imports pandas, DuckDB, scikit-learn, the store or analytics only
inside its run function (tests/cli/test_conventions.py checks both the time and the imports).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dashboard import __version__
from dashboard.cli._common import EXIT_BUG, EXIT_USAGE, WINDOW_HELP, fail
from dashboard.errors import DashboardError
from dashboard.settings import configure_logging


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    detects: str | None = None     # what exit status 1 reports; None: the command never exits 1
    windows: bool = False          # takes a window or period (the help then shows the syntax)


GROUP_HELP = {
    "ingest": "Load prediction logs or outcomes into the store.",
    "rollup": "Maintain the derived rollups.",
    "report": "Print figures for cron or CI; exits 1 when a condition you asked to detect is found.",
    "policy": "Show or export decision policies.",
    "card": "Draft model cards from prediction logs.",
    "alerts": "Evaluate the alert rules and send notifications.",
}

USAGE_ERRORS = "bad usage or input: unknown model, bad window, no such store or file, nothing to report on"
EXIT_STATUS = f"""Exit status, the same for every command (the message on standard error says why):
  0      success
  1      a condition you asked the command to detect: an alert fired, drift with
         --fail-on-drift, rows rejected on ingest, an impact point off track with --fail-on
  2      bad usage or input: unknown model, bad window, no such store or file,
         nothing to report on
  128+N  stopped by signal N (130 for Ctrl-C, 143 for SIGTERM)
  {EXIT_BUG}     an unexpected failure, a bug (the traceback is printed)"""


def _commands() -> list[Command]:
    found: list[Command] = []
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "COMMANDS", []))
    return found


def _epilog(cmd: Command) -> str:
    found = f"1 {cmd.detects}; " if cmd.detects else ""
    lines = [f"Exit status: 0 success; {found}2 {USAGE_ERRORS} (the message on standard error says which)."]
    if cmd.windows:
        lines.append(f"Windows and periods: {WINDOW_HELP}.")
    return "\n".join(textwrap.fill(line, 88) for line in lines)


def _add_store_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--store", default=default, metavar="DIR",
                        help="store folder (default: $DASHBOARD_STORE or var/store)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dashboard",
        description="Operations dashboard for credit decision models.",
        epilog=f"Example: dashboard --store var/store demo && dashboard serve\n\n{EXIT_STATUS}\n\n"
               + textwrap.fill(f"Windows and periods: {WINDOW_HELP}.", 88),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_store_option(parser, None)
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    for cmd in _commands():
        target = top
        if len(cmd.path) == 2:
            group = cmd.path[0]
            if group not in groups:
                gp = top.add_parser(group, help=GROUP_HELP.get(group, group), description=GROUP_HELP.get(group),
                                    epilog=EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
                groups[group] = gp.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
                gp.set_defaults(_group_parser=gp)
            target = groups[group]
        sub = target.add_parser(cmd.path[-1], help=cmd.help, description=cmd.description, epilog=_epilog(cmd),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
        _add_store_option(sub, argparse.SUPPRESS)
        cmd.configure(sub)
        sub.set_defaults(_run=cmd.run)
    return parser


def _unexpected(exc: Exception) -> int:
    """An error no command turned into a message: the project's own and the system's are the user's to fix."""
    if isinstance(exc, DashboardError):   # the project's own errors: a message a person can act on
        return fail(str(exc))
    if isinstance(exc, BrokenPipeError):
        # The reader went away (`dashboard report ... | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    if isinstance(exc, OSError):
        return fail(str(exc))
    traceback.print_exc()
    return fail("unexpected failure (a bug: please report it with the traceback above)", EXIT_BUG)


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        group_parser = getattr(args, "_group_parser", None)
        (group_parser or parser).print_help(sys.stderr)
        return fail(f"choose a {'subcommand' if group_parser else 'command'} (listed above)", EXIT_USAGE)
    try:
        return int(run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 (the last place to turn an error into a message and a code)
        return _unexpected(exc)


if __name__ == "__main__":
    sys.exit(main())
