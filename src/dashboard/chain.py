"""The hash chain of the store's records: pure functions, no file I/O (store/chain.py reads and
writes the files).

One chain per event kind and day (the day of the event's `at`, the folder it lives in). Each
event carries `seq` (its position in the day's chain, from 0), `prev` (the hash of the event
before it; for the first, the day's genesis, a hash of kind and day) and `hash` (SHA-256 of
the event's canonical JSON without `hash`). The day's head (the last seq and hash) is kept
beside it, so deleting the last events is found too. Why per kind and day: an append reads
and locks only its own kind's head, and `audit verify --from --to` reads only the days asked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HASH = "hash"
PREV = "prev"
SEQ = "seq"


def canonical_json(value: Any) -> bytes:
    """The one byte form that is hashed: sorted keys, no spaces, UTF-8, values as JSON stores them."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def as_stored(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as it reads back from its JSON file (dates as text, tuples as lists)."""
    loaded: dict[str, Any] = json.loads(canonical_json(event))
    return loaded


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json({k: v for k, v in event.items() if k != HASH})).hexdigest()


def genesis(kind: str, day: str) -> str:
    """What the first event of a kind's day links to."""
    return hashlib.sha256(canonical_json({"kind": kind, "day": day})).hexdigest()


def link(event: Mapping[str, Any], seq: int, prev: str) -> dict[str, Any]:
    """The event as stored in the chain: its position, its predecessor's hash and its own."""
    linked = as_stored({**event, SEQ: seq, PREV: prev})
    linked[HASH] = event_hash(linked)
    return linked


def is_chained(event: Mapping[str, Any]) -> bool:
    return HASH in event or SEQ in event or PREV in event


@dataclass(frozen=True)
class Head:
    """The last link of a kind's day: its seq and hash (seq -1: none yet)."""

    seq: int
    hash: str


def head_of(kind: str, day: str, events: Iterable[Mapping[str, Any]]) -> Head:
    """The head a day's chained events end in (the highest seq), to continue the chain from."""
    best = Head(-1, genesis(kind, day))
    for e in events:
        if is_chained(e) and isinstance(e.get(SEQ), int) and e[SEQ] > best.seq:
            best = Head(int(e[SEQ]), str(e.get(HASH, "")))
    return best


@dataclass
class DayCheck:
    """What verifying one kind's day found."""

    kind: str
    day: str
    chained: int = 0
    unchained: int = 0          # written before the chain existed (no hash): reported, not broken
    broken: str | None = None   # the first broken link, in words


@dataclass
class ChainReport:
    days: list[DayCheck] = field(default_factory=list)

    @property
    def first_break(self) -> DayCheck | None:
        return next((d for d in self.days if d.broken), None)

    @property
    def chained(self) -> int:
        return sum(d.chained for d in self.days)

    @property
    def unchained(self) -> int:
        return sum(d.unchained for d in self.days)

    @property
    def state(self) -> str:
        """intact, broken or unchained (nothing but events from before the chain); empty: no event."""
        if self.first_break:
            return "broken"
        if self.chained:
            return "intact"
        return "unchained" if self.unchained else "empty"


def _name(e: Mapping[str, Any]) -> str:
    return f"event {e.get('id', '?')} (seq {e.get(SEQ, '?')}, at {e.get('at', '?')})"


def verify_day(kind: str, day: str, events: Sequence[Mapping[str, Any]], head: Head | None) -> DayCheck:
    """Check one kind's day: every hash, every link, no gap, nothing after the chain began
    without a hash, and the head (the last events deleted). `head` None: no head file."""
    check = DayCheck(kind, day)
    chained = sorted((e for e in events if is_chained(e)), key=lambda e: (_seq(e), str(e.get("id"))))
    legacy = [e for e in events if not is_chained(e)]
    check.chained, check.unchained = len(chained), len(legacy)
    check.broken = _first_break(kind, day, chained, legacy, head)
    return check


def _seq(e: Mapping[str, Any]) -> int:
    seq = e.get(SEQ)
    return seq if isinstance(seq, int) else -1


def _first_break(kind: str, day: str, chained: Sequence[Mapping[str, Any]], legacy: Sequence[Mapping[str, Any]],
                 head: Head | None) -> str | None:
    prev, expected = genesis(kind, day), 0
    for e in chained:
        if e.get("kind") != kind or str(e.get("at", ""))[:10] != day:
            return f"{_name(e)} is filed under {kind}/{day} but says {e.get('kind')}/{str(e.get('at', ''))[:10]}: moved"
        if _seq(e) != expected:
            what = "missing (deleted?)" if _seq(e) > expected else "taken twice (copied or reordered?)"
            return f"seq {expected} of {kind}/{day} is {what}; found {_name(e)}"
        if e.get(HASH) != event_hash(e):
            return f"{_name(e)} was edited: its content does not match its hash"
        if e.get(PREV) != prev:
            return f"{_name(e)} does not link to the event before it (reordered or replaced?)"
        prev, expected = str(e[HASH]), expected + 1
    if chained:
        first_at = min(str(e.get("at", "")) for e in chained)
        late = [e for e in legacy if str(e.get("at", "")) >= first_at]
        if late:
            return f"{_name(late[0])} has no hash but was written after the chain began: its links were removed"
    if head is None:
        return f"the head of {kind}/{day} is missing" if chained else None
    if head.seq >= expected:
        return f"seq {expected}..{head.seq} of {kind}/{day} are missing (deleted after the head recorded them)"
    if head.seq >= 0 and chained[head.seq].get(HASH) != head.hash:
        return f"{_name(chained[head.seq])} differs from the head's record of seq {head.seq}"
    return None
