"""The records' hash chain on real files: an edit, a deletion (in the middle and at the end), a
reorder and a move are each found and named; events from before the chain are unchained, not
broken; two processes appending at once keep one unbroken chain."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dashboard.store import Store
from dashboard.store.chain import verify_chain


def _sha(event: dict[str, Any]) -> str:
    """The hash recomputed here, independently: SHA-256 of the sorted, compact JSON without `hash`."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def _files(store: Store, kind: str = "override") -> list[Path]:
    """The kind's event files in chain order."""
    paths = list(store.layout.event_dir(kind).glob("*/*.json"))
    return sorted(paths, key=lambda p: json.loads(p.read_text())["seq"])


@pytest.fixture
def chained(empty_store: Store) -> Store:
    for i in range(5):
        empty_store.append_event("override", {"application_id": f"A{i}", "reason": f"r{i}"}, actor="ann")
    for i in range(3):
        empty_store.append_event("audit", {"action": "login", "role": "admin"}, actor=f"u{i}")
    empty_store.append_event("ingest_batch", {"source": "file"})
    return empty_store


def test_an_untouched_chain_is_intact_and_links_as_documented(chained: Store) -> None:
    report = verify_chain(chained.layout)
    assert report.state == "intact" and report.chained == 8 and report.unchained == 0
    events = [json.loads(p.read_text()) for p in _files(chained)]
    assert [e["seq"] for e in events] == list(range(5))
    assert all(e["hash"] == _sha(e) for e in events)
    assert all(b["prev"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    day = events[0]["at"][:10]
    assert events[0]["prev"] == hashlib.sha256(
        json.dumps({"kind": "override", "day": day}, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    batch = next(chained.layout.event_dir("ingest_batch").glob("*/*.json"))
    assert "hash" not in json.loads(batch.read_text())   # activity counts are not chained


def test_an_edit_is_found(chained: Store) -> None:
    path = _files(chained)[2]
    event = json.loads(path.read_text())
    event["reason"] = "changed afterwards"
    path.write_text(json.dumps(event))
    broken = verify_chain(chained.layout).first_break
    assert broken is not None and broken.kind == "override"
    assert event["id"] in str(broken.broken) and "edited" in str(broken.broken)


@pytest.mark.parametrize("which", [1, 4], ids=["middle", "last"])
def test_a_deletion_is_found(chained: Store, which: int) -> None:
    _files(chained)[which].unlink()
    broken = verify_chain(chained.layout).first_break
    assert broken is not None and f"seq {which}" in str(broken.broken) and "missing" in str(broken.broken)


def test_a_reorder_is_found_even_with_the_hashes_recomputed(chained: Store) -> None:
    a_path, b_path = _files(chained)[1:3]
    a, b = json.loads(a_path.read_text()), json.loads(b_path.read_text())
    # b now comes first, relinked as an attacker who knows the scheme would: only the link
    # from the event after them gives it away.
    b["seq"], b["prev"] = a["seq"], a["prev"]
    b["hash"] = _sha(b)
    a["seq"], a["prev"] = b["seq"] + 1, b["hash"]
    a["hash"] = _sha(a)
    a_path.write_text(json.dumps(a))
    b_path.write_text(json.dumps(b))
    broken = verify_chain(chained.layout).first_break
    assert broken is not None and "seq 3" in str(broken.broken) and "does not link" in str(broken.broken)


def test_a_move_to_another_day_is_found(chained: Store) -> None:
    path = _files(chained)[4]
    other = path.parent.parent / "2020-01-01"
    other.mkdir()
    path.rename(other / path.name)
    report = verify_chain(chained.layout)
    assert report.first_break is not None and report.first_break.day == "2020-01-01"
    assert "moved" in str(report.first_break.broken)


def test_events_from_before_the_chain_are_unchained_not_broken(chained: Store) -> None:
    day = _files(chained)[0].parent
    legacy = {"id": "old1", "kind": "override", "at": f"{day.name}T00:00:00.000001", "actor": "x", "reason": "old"}
    (day / "20000101T000000000001-old1.json").write_text(json.dumps(legacy))
    older = chained.layout.event_dir("override") / "2024-05-01"
    older.mkdir()
    (older / "x.json").write_text(json.dumps({**legacy, "id": "old2", "at": "2024-05-01T10:00:00"}))
    report = verify_chain(chained.layout)
    assert report.state == "intact" and report.unchained == 2 and report.chained == 8
    only_old = verify_chain(chained.layout, end=__import__("datetime").date(2024, 12, 31))
    assert only_old.state == "unchained"
    # The next append counts the legacy file and still continues the chain.
    chained.append_event("override", {"reason": "after"}, actor="ann")
    assert verify_chain(chained.layout).state == "intact"


def test_stripping_the_links_off_a_chained_event_is_found(chained: Store) -> None:
    path = _files(chained)[4]
    event = json.loads(path.read_text())
    path.write_text(json.dumps({k: v for k, v in event.items() if k not in ("seq", "prev", "hash")}))
    assert verify_chain(chained.layout).first_break is not None


def test_a_head_behind_its_events_continues_the_chain(chained: Store) -> None:
    """An append that died between its event and the day's head: the next append reads the day again."""
    head = _files(chained)[0].parent / ".head"
    first = json.loads(_files(chained)[3].read_text())
    head.write_text(json.dumps({"seq": 3, "hash": first["hash"], "files": 4}))
    assert verify_chain(chained.layout).state == "intact"
    event = chained.append_event("override", {"reason": "next"}, actor="ann")
    assert event["seq"] == 5 and verify_chain(chained.layout).state == "intact"


_APPENDER = """
import sys
from dashboard.store import Store
store = Store(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.append_event("override", {"application_id": f"{sys.argv[2]}-{i}", "reason": "r"}, actor=sys.argv[2])
"""


@pytest.mark.slow
def test_two_processes_appending_keep_one_chain(empty_store: Store) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", _APPENDER, str(empty_store.root), name, "30"])
             for name in ("p1", "p2")]
    assert [p.wait(120) for p in procs] == [0, 0]
    report = verify_chain(empty_store.layout)
    assert report.state == "intact", report.first_break
    events = [json.loads(p.read_text()) for p in _files(empty_store)]
    by_day: dict[str, list[int]] = {}
    for e in events:
        by_day.setdefault(e["at"][:10], []).append(e["seq"])
    assert sum(len(s) for s in by_day.values()) == 60
    assert all(sorted(s) == list(range(len(s))) for s in by_day.values())
