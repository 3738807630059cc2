"""Helpers shared by the command modules: the store, progress bars, error printing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from dashboard.store import Store, StoreError, open_store


def store_from(args: argparse.Namespace, create: bool = True) -> Store:
    return open_store(getattr(args, "store", None), create=create)


def fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


@contextmanager
def progress_bar(desc: str, unit: str = "step") -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr fed by (done, total) callbacks; quiet when not a terminal."""
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


__all__ = ["StoreError", "fail", "progress_bar", "store_from"]
