"""The layer check catches what it must: planted violations in a copy of the layout."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _checker(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layers_under_test", ROOT / "scripts" / "check_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.ROOT, module.PACKAGE = root, root / "src" / "dashboard"  # type: ignore[attr-defined]
    return module


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_planted_violations_are_named_with_file_and_line(tmp_path: Path) -> None:
    check = _checker(tmp_path)
    _write(tmp_path, "src/dashboard/analytics/ok.py", "from dashboard.models.card import ModelCard\n")
    bad = _write(tmp_path, "src/dashboard/analytics/bad.py",
                 "import numpy\n\n\ndef f():\n    from dashboard.store import Store  # a lazy import counts too\n"
                 "    import duckdb\n")
    rel = _write(tmp_path, "src/dashboard/ui/page.py", "from ..store import windows\n")
    typed = _write(tmp_path, "src/dashboard/ui/typed.py",
                   "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dashboard.store import Store\n")
    page = _write(tmp_path, "pages/p.py", "from dashboard.analytics import impact\nimport streamlit\n")
    problems = [p for f in (bad, rel, typed, page) for p in check.check_file(f)]
    assert problems == [
        "src/dashboard/analytics/bad.py:5: analytics may not import dashboard.store (store)",
        "src/dashboard/analytics/bad.py:6: analytics may not import duckdb (duckdb)",
        "src/dashboard/ui/page.py:1: ui may not import dashboard.store (store)",
        "pages/p.py:1: pages may not import dashboard.analytics (analytics)",
    ]
    assert check.main([str(tmp_path / "src/dashboard/analytics/ok.py")]) == 0
    assert check.main([str(bad)]) == 1


def test_a_new_package_needs_an_entry(tmp_path: Path, capsys: object) -> None:
    check = _checker(tmp_path)
    new = _write(tmp_path, "src/dashboard/newthing/x.py", "x = 1\n")
    assert check.main([str(new)]) == 1


def test_planted_file_io_and_sql_are_named(tmp_path: Path) -> None:
    check = _checker(tmp_path)
    io = _write(tmp_path, "src/dashboard/analytics/io.py",
                "from pathlib import Path\n\n\ndef f(p: Path) -> str:\n    return p.read_text()\n\n\n"
                "def g() -> None:\n    with open('x') as fh:\n        fh.write('y')\n")
    explain = _write(tmp_path, "src/dashboard/explain/e.py", "def f(p):\n    p.write_bytes(b'')\n")
    services = _write(tmp_path, "src/dashboard/services/s.py",
                      "def f(store):\n    return store.sql('SELECT n FROM r_daily')\n")
    page = _write(tmp_path, "pages/q.py", "import x\nQUERY = \"select * from read_parquet('a')\"\n")
    store = _write(tmp_path, "src/dashboard/store/ok.py",
                   "def f(p):\n    return p.read_text(), 'SELECT n FROM r_daily'\n")
    problems = [p for f in (io, explain, services, page, store) for p in check.check_file(f)]
    assert problems == [
        "src/dashboard/analytics/io.py:5: analytics may not read or write files (read_text); only store may",
        "src/dashboard/analytics/io.py:9: analytics may not read or write files (open); only store may",
        "src/dashboard/explain/e.py:2: explain may not read or write files (write_bytes); only store may",
        "src/dashboard/services/s.py:2: services may not hold SQL; add a named query to store",
        "pages/q.py:2: pages may not hold SQL; add a named query to store",
    ]

