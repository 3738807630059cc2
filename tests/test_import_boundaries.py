"""The layers of docs/ARCHITECTURE.md, enforced: who may import duckdb and streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dashboard"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_only_store_imports_duckdb() -> None:
    offenders = [p for p in [*_sources(PACKAGE), *_sources(ROOT / "pages"), *_sources(ROOT / "app")]
                 if "duckdb" in _imports(p) and PACKAGE / "store" not in p.parents]
    assert offenders == []


def test_only_ui_pages_and_app_import_streamlit() -> None:
    offenders = [p for p in _sources(PACKAGE)
                 if "streamlit" in _imports(p) and PACKAGE / "ui" not in p.parents]
    assert offenders == []


def test_analytics_and_explain_are_pure() -> None:
    banned = {"streamlit", "duckdb"}
    for folder in ("analytics", "explain"):
        for path in _sources(PACKAGE / folder):
            assert not (_imports(path) & banned), path
            text = path.read_text("utf-8")
            assert "open(" not in text and ".read_text(" not in text and ".write_text(" not in text, path


def test_pages_hold_no_sql() -> None:
    for path in _sources(ROOT / "pages"):
        text = path.read_text("utf-8").upper()
        assert " FROM R_" not in text and "READ_PARQUET" not in text and "SELECT " not in text, path


def test_boundary_check_sees_a_violation(tmp_path: Path) -> None:
    # The checker itself must catch an import, or the tests above prove nothing.
    bad = tmp_path / "bad.py"
    bad.write_text("import duckdb\nfrom streamlit import write\n")
    assert {"duckdb", "streamlit"} <= _imports(bad)
