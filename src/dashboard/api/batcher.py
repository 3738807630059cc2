"""Group commit: requests gathered for up to N ms or M rows, written as one durable batch by one
writer thread; each request's future is resolved only once its rows are on disk.

The buffer is bounded: `submit` refuses (the API answers 429) while more rows wait than the
limit, so a writer that falls behind slows its clients instead of growing memory.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from dashboard.services.live_ingest import BatchOutcome

log = logging.getLogger(__name__)
Records = list[dict[str, Any]]
Sink = Callable[[str, "Records | pa.Table"], BatchOutcome]


class BufferFull(Exception):
    """More rows wait than the buffer holds: the client should retry later."""


@dataclass
class Answer:
    """One request's share of its batch."""
    stored: int = 0
    skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (1-based row of the request, why)
    quarantine: str | None = None


@dataclass
class _Pending:
    kind: str
    rows: Records | pa.Table
    future: asyncio.Future[Answer]
    count: int


class GroupCommit:
    def __init__(self, sink: Sink, batch_ms: int, batch_rows: int, buffer_rows: int,
                 on_write: Callable[[float, int], None] | None = None) -> None:
        self.sink = sink
        self.batch_s = batch_ms / 1000
        self.batch_rows = batch_rows
        self.buffer_rows = buffer_rows
        self.on_write = on_write           # (seconds, rows) of each write, for the metrics
        self.buffered = 0                  # rows submitted and not yet answered
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread.start()

    def submit(self, kind: str, rows: Records | pa.Table) -> asyncio.Future[Answer]:
        """Queue rows; the future gets their answer once they are durable (or the write's error)."""
        count = rows.num_rows if isinstance(rows, pa.Table) else len(rows)
        if self.buffered + count > self.buffer_rows and self.buffered > 0:
            raise BufferFull(f"{self.buffered:,} rows wait to be written")
        assert self._loop is not None, "start() first"
        future: asyncio.Future[Answer] = self._loop.create_future()
        with self._cond:
            self.buffered += count
            self._queue.append(_Pending(kind, rows, future, count))
            self._cond.notify()
        return future

    def stop(self) -> None:
        """Write everything queued, then end the writer thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join()

    def _take(self) -> list[_Pending] | None:
        with self._cond:
            while not self._queue and not self._stopping:
                self._cond.wait()
            if not self._queue:
                return None
            deadline = time.monotonic() + self.batch_s
            while not self._stopping and sum(p.count for p in self._queue) < self.batch_rows:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            taken, self._queue = self._queue, []
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            for kind in ("predictions", "outcomes"):
                group = [p for p in taken if p.kind == kind]
                records = [p for p in group if not isinstance(p.rows, pa.Table)]
                if records:
                    self._write(kind, records)
                for bulk in (p for p in group if isinstance(p.rows, pa.Table)):
                    self._write(kind, [bulk])

    def _write(self, kind: str, group: list[_Pending]) -> None:
        started = time.perf_counter()
        try:
            if len(group) == 1 and isinstance(group[0].rows, pa.Table):
                outcome = self.sink(kind, group[0].rows)
            else:
                outcome = self.sink(kind, [r for p in group for r in p.rows])
            answers: list[Answer | BaseException] = list(split_outcome(outcome, [p.count for p in group]))
        except Exception as exc:
            log.exception("a batch of %d %s requests could not be written", len(group), kind)
            answers = [exc] * len(group)
        if self.on_write is not None:
            self.on_write(time.perf_counter() - started, sum(p.count for p in group))
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._resolve, group, answers)

    def _resolve(self, group: list[_Pending], answers: list[Answer | BaseException]) -> None:
        for pending, answer in zip(group, answers, strict=True):
            self.buffered -= pending.count
            if pending.future.done():  # the client went away
                continue
            if isinstance(answer, BaseException):
                pending.future.set_exception(answer)
            else:
                pending.future.set_result(answer)


def split_outcome(outcome: BatchOutcome, counts: list[int]) -> list[Answer]:
    """Each request's stored, skipped and rejected rows (its own row numbers) from the batch's."""
    answers, start = [], 0
    for count in counts:
        answer = Answer()
        for row in range(start, start + count):
            state = outcome.status[row]
            if state == "stored":
                answer.stored += 1
            elif state == "skipped":
                answer.skipped += 1
            else:
                answer.rejected.append((row - start + 1, outcome.reasons.get(row, "rejected")))
        if answer.rejected:  # the batch's problem lines name batch rows: each request gets its own rows
            answer.quarantine = outcome.quarantine
        answers.append(answer)
        start += count
    return answers
