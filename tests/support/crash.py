"""Fault injection for the store's writes: a process killed at one step of publishing a file.

`python -m tests.support.crash SCENARIOS_JSON` imports the store once, then for each scenario
forks a child that opens its store, arms a crash and runs its action; the child dies
(`os._exit`, as kill -9: no cleanup, no `finally`) at the step named, on the first file whose
path contains `match`. The steps of a publish, in order:

  written         the temporary file holds the data, not yet fsynced
  fsynced         fsynced, not yet renamed over the target
  renamed         renamed, its folder not yet fsynced
  folder_fsynced  the folder fsynced, the call not yet returned

Prints one JSON line: each scenario's exit status (CRASHED when it died at its step).
`trace_publishes` records the same calls in this process instead, to check their order.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from typing import Any

CRASHED = 86
STEPS = ("written", "fsynced", "renamed", "folder_fsynced")


def _path_of(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def arm(step: str, match: str) -> None:
    """Patch os.fsync and os.replace (every store write goes through them) to die at `step`."""
    real_fsync, real_replace = os.fsync, os.replace
    renamed: set[str] = set()

    def fsync(fd: int) -> None:
        path, is_dir = _path_of(fd), stat.S_ISDIR(os.fstat(fd).st_mode)
        if step == "written" and not is_dir and match in path:
            os._exit(CRASHED)
        real_fsync(fd)
        if step == "folder_fsynced" and is_dir and path in renamed:
            os._exit(CRASHED)

    def replace(src: Any, dst: Any) -> None:
        hit = match in str(dst)
        if step == "fsynced" and hit:
            os._exit(CRASHED)
        real_replace(src, dst)
        if step == "renamed" and hit:
            os._exit(CRASHED)
        if hit:
            renamed.add(os.path.dirname(os.path.abspath(dst)))

    os.fsync, os.replace = fsync, replace  # type: ignore[assignment]


@contextlib.contextmanager
def trace_publishes() -> Iterator[list[tuple[str, ...]]]:
    """Record ("fsync", path) and ("rename", src, dst) in call order while the block runs."""
    real_fsync, real_replace = os.fsync, os.replace
    calls: list[tuple[str, ...]] = []

    def fsync(fd: int) -> None:
        calls.append(("fsync", _path_of(fd)))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        calls.append(("rename", os.path.abspath(src), os.path.abspath(dst)))
        real_replace(src, dst)

    os.fsync, os.replace = fsync, replace  # type: ignore[assignment]
    try:
        yield calls
    finally:
        os.fsync, os.replace = real_fsync, real_replace


def unsafe_renames(calls: list[tuple[str, ...]]) -> list[str]:
    """Renames not preceded by an fsync of the renamed file or not followed by one of its folder."""
    found = []
    for i, call in enumerate(calls):
        if call[0] != "rename":
            continue
        src, dst = call[1], call[2]
        if ("fsync", src) not in calls[:i]:
            found.append(f"{dst}: renamed before its data was fsynced")
        if ("fsync", os.path.dirname(dst)) not in calls[i + 1:]:
            found.append(f"{dst}: its folder was not fsynced after the rename")
    return found


def _append_event(root: str, arg: str) -> None:
    from dashboard.store import Store

    Store(root).append_event("override", {"application_id": arg, "reason": "crash test"}, actor="crash")


def _ingest(root: str, arg: str) -> None:
    import pandas as pd

    from dashboard.ingest.validation import validate_predictions
    from dashboard.store import Store

    store = Store(root)
    store.write_predictions(validate_predictions(pd.read_parquet(arg), store.list_cards()).good)


ACTIONS: dict[str, Callable[[str, str], None]] = {"append_event": _append_event, "ingest": _ingest}


def run(scenarios: list[dict[str, str]]) -> list[int]:
    import pandas  # noqa: F401  (imported once here, before any fork)

    import dashboard.ingest.validation
    import dashboard.store  # noqa: F401

    statuses = []
    for sc in scenarios:
        pid = os.fork()
        if pid == 0:
            try:
                arm(sc["step"], sc["match"])
                ACTIONS[sc["action"]](sc["store"], sc.get("arg", ""))
                os._exit(0)
            except BaseException:  # noqa: BLE001 (report any failure as a status, never run on)
                os._exit(1)
        statuses.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    return statuses


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
