"""The README's Python API example runs as written, on a store with its model registered."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from dashboard.store import Store
from tests.support.live_api import tiny_api_store

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_monitor_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.read_text("utf-8").split("## Sending decisions as they are made", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    tiny_api_store(tmp_path / "var" / "store")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    assert out.getvalue().split()[:2] == ["1", "0"]
    store = Store(tmp_path / "var" / "store")
    assert int(store.read_rollup("daily")["n"].sum()) == 1
    assert int(store.read_rollup("outcomes")["n"].sum()) == 1
