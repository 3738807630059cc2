"""dashboard audit verify: 0 intact, 1 broken (the first broken link named), 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.store import Store


def _records(root: Path) -> Store:
    store = Store(root)
    for i in range(3):
        store.append_event("override", {"application_id": f"A{i}", "reason": "r"}, actor="ann")
    store.append_event("audit", {"action": "login", "role": "admin"}, actor="bob")
    return store


def test_intact_then_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _records(tmp_path / "s")
    day = next(store.layout.event_dir("override").iterdir()).name
    assert main(["--store", str(store.root), "audit", "verify"]) == 0
    assert "chain intact: 4 chained events in 2 kind-days" in capsys.readouterr().out
    assert main(["--store", str(store.root), "audit", "verify", "--from", day, "--to", day]) == 0
    capsys.readouterr()
    path = sorted(store.layout.event_dir("override").glob("*/*.json"))[1]
    event = json.loads(path.read_text())
    path.write_text(json.dumps({**event, "reason": "edited"}))
    assert main(["--store", str(store.root), "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"chain broken at override/{day}" in out and event["id"] in out
    # A range that leaves the broken day out is intact.
    assert main(["--store", str(store.root), "audit", "verify", "--to", "2000-01-01"]) == 0
    assert "nothing to verify" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--from", "2026-02-30"], ["--to", "yesterday"],
                                  ["--from", "2026-03-02", "--to", "2026-03-01"]])
def test_bad_input_exits_2(tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    store = _records(tmp_path / "s")
    assert main(["--store", str(store.root), "audit", "verify", *args]) == 2
    assert "error:" in capsys.readouterr().err


def test_no_store_exits_2(tmp_path: Path) -> None:
    assert main(["--store", str(tmp_path / "none"), "audit", "verify"]) == 2
