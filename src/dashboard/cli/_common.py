"""Helpers shared by the command modules: exit codes, the store, windows, progress bars, messages.

Imported by every command module to build the parser, so only the standard library at the top;
the store and tqdm are imported when a command runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboard.analytics.periods import SYNTAX, Period, PeriodError, parse_period

if TYPE_CHECKING:
    from dashboard.store import Store

EXIT_OK = 0        # done
EXIT_FOUND = 1     # a condition the user asked the command to detect (alert, drift, rejected rows, off track)
EXIT_USAGE = 2     # bad usage or input: unknown model, bad window, no such store or file, nothing to report on
EXIT_BUG = 70      # an unexpected failure (sysexits' EX_SOFTWARE), so a crash never reads as "found"

WINDOW_HELP = f"{SYNTAX} (see \"Windows and periods\" in the README)"


def store_from(args: argparse.Namespace, create: bool = True) -> Store:
    from dashboard.services.stores import open_store

    return open_store(getattr(args, "store", None), create=create)


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def unknown_model_message(wanted: Iterable[object], cards: Mapping[str, Any]) -> str | None:
    """Which of the wanted model ids are not registered, and which are; None when all are."""
    unknown = [m for m in wanted if m not in cards]
    if not unknown:
        return None
    known = ", ".join(sorted(cards)) or "none yet: run `dashboard register-model CARD` first"
    return f"unknown model {', '.join(repr(m) for m in unknown)}; registered models: {known}"


def model_or_champion(store: Store, requested: str | None) -> tuple[str | None, str | None]:
    """(model id, None) for the --model given or else the champion; (None, message) when neither is usable."""
    from dashboard.services.registry import champion_id

    cards = store.list_cards()
    model = requested or champion_id(store)
    if model is None:
        return None, (f"no champion model in {store.root}; name one with --model "
                      f"(registered: {', '.join(sorted(cards)) or 'none'})")
    if problem := unknown_model_message([model], cards):
        return None, problem
    return model, None


def window_from(text: str, option: str, newest: dt.date | None) -> Period:
    """`text` read in the one window syntax; `newest` (the newest day of data) anchors last-30d."""
    try:
        return parse_period(text, newest)
    except PeriodError as exc:
        raise PeriodError(f"{option} {exc}") from None


def missing_files(paths: list[str] | list[Path]) -> list[str]:
    return [str(p) for p in paths if not Path(p).is_file()]


@contextmanager
def progress_bar(desc: str, unit: str = "step") -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr fed by (done, total) callbacks; quiet when not a terminal."""
    from tqdm import tqdm

    bar: tqdm | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                       disable=None, mininterval=0.5)
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


__all__ = ["EXIT_BUG", "EXIT_FOUND", "EXIT_OK", "EXIT_USAGE", "WINDOW_HELP", "fail", "missing_files",
           "progress_bar", "store_from", "unknown_model_message", "window_from"]
