"""The layers, enforced: which of the project's packages each package may import.

Run by `make lint` (hence `make test`). Reads every import of every module under
src/dashboard, app/ and pages/ (top level, inside functions, `from . import`), skips what
sits under `if TYPE_CHECKING:`, and prints `file:line: <package> may not import <target>`
for each import outside the allow-list below; exits 1 when there is any. Two more rules of
the layers: the packages in NO_FILE_IO read and write no file themselves (only store/ does),
and the ones in NO_SQL hold no query text (queries are store/'s named functions).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dashboard"

# Who may import whom (besides itself). Third-party rules: only store/ touches duckdb, only
# ui/, pages/ and app/ touch streamlit. See docs/ARCHITECTURE.md.
ALLOWED: dict[str, set[str]] = {
    "contracts": set(),
    "errors": set(),
    "settings": {"errors"},
    "models": {"contracts", "errors"},
    "analytics": {"models", "contracts", "errors"},
    "explain": {"models", "analytics", "contracts", "errors"},
    "store": {"analytics", "models", "contracts", "errors", "settings"},
    "ingest": {"store", "analytics", "models", "contracts", "errors", "settings"},
    "sample": {"store", "models", "analytics", "contracts", "errors"},
    "services": {"store", "ingest", "analytics", "explain", "models", "contracts", "errors", "settings"},
    "reports": {"analytics", "models", "contracts", "errors"},
    "ui": {"services", "reports", "analytics", "explain", "models", "contracts", "errors", "settings"},
    "cli": {"services", "reports", "sample", "analytics", "models", "contracts", "errors", "settings", "api"},
    "api": {"services", "ingest", "store", "contracts", "errors", "settings"},
    "pages": {"ui"},
    "app": {"ui"},
}
THIRD_PARTY: dict[str, set[str]] = {"duckdb": {"store"}, "streamlit": {"ui", "pages", "app"}}
# Pure (frames and arrays in and out), or composing the store's reads: only store/ touches files.
NO_FILE_IO = {"analytics", "explain", "services"}
FILE_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes"}  # open() and Path's
NO_SQL = {"pages", "services"}
SQL_MARKS = (" FROM R_", "READ_PARQUET", "SELECT ")  # matched on the upper-cased line
TOP_LEVEL = {"__init__", "__main__", "py"}  # dashboard/__init__.py and dashboard/py.typed's neighbours


def layer_of(path: Path) -> str | None:
    """The layer a source file belongs to (None for the package's own __init__)."""
    if PACKAGE in path.parents:
        rel = path.relative_to(PACKAGE)
        name = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        return None if name in TOP_LEVEL else name
    for top in ("pages", "app"):
        if ROOT / top in path.parents:
            return top
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST, package: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    """(line, absolute module) of every import under `node`, outside TYPE_CHECKING blocks."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports(other, package)
            continue
        if isinstance(child, ast.Import):
            for alias in child.names:
                yield child.lineno, alias.name
        elif isinstance(child, ast.ImportFrom):
            if child.level:  # relative: resolve against the module's package
                base = package[: len(package) - child.level + 1]
                module = ".".join([*base, *(child.module.split(".") if child.module else [])])
                names = [module] if child.module else [f"{module}.{a.name}" for a in child.names]
                for name in names:
                    yield child.lineno, name
            elif child.module:
                yield child.lineno, child.module
        yield from _imports(child, package)


def target_of(module: str) -> str | None:
    """The layer (or watched third-party package) an imported module belongs to."""
    parts = module.split(".")
    if parts[0] == "dashboard":
        return parts[1] if len(parts) > 1 and parts[1] not in TOP_LEVEL else None
    return parts[0] if parts[0] in THIRD_PARTY else None


def _file_io(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, name) of every call of open() or of a Path's read/write methods."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in FILE_CALLS:
                yield node.lineno, name


def _sql_lines(text: str) -> Iterator[int]:
    for number, line in enumerate(text.splitlines(), start=1):
        if any(mark in line.upper() for mark in SQL_MARKS):
            yield number


def check_file(path: Path) -> list[str]:
    layer = layer_of(path)
    if layer is None:
        return []
    rel = path.relative_to(PACKAGE) if PACKAGE in path.parents else None
    package = ("dashboard", *rel.parts[:-1]) if rel is not None else (layer,)
    problems = []
    text = path.read_text("utf-8")
    tree = ast.parse(text, str(path))
    where = path.relative_to(ROOT)
    if layer in NO_FILE_IO:
        problems += [f"{where}:{line}: {layer} may not read or write files ({name}); only store may"
                     for line, name in _file_io(tree)]
    if layer in NO_SQL:
        problems += [f"{where}:{line}: {layer} may not hold SQL; add a named query to store" for line in _sql_lines(text)]
    for line, module in _imports(tree, package):
        target = target_of(module)
        if target is None or target == layer:
            continue
        allowed = layer in THIRD_PARTY[target] if target in THIRD_PARTY else target in ALLOWED.get(layer, set())
        if not allowed:
            problems.append(f"{where}:{line}: {layer} may not import {module} ({target})")
    return sorted(problems, key=lambda p: int(p.split(":")[1]))


def sources(root: Path = ROOT) -> list[Path]:
    return sorted([*(root / "src" / "dashboard").rglob("*.py"), *(root / "pages").rglob("*.py"),
                   *(root / "app").rglob("*.py")])


def main(argv: list[str] | None = None) -> int:
    files = [Path(a).resolve() for a in (argv or [])] or sources()
    problems = [p for f in files for p in check_file(f)]
    for problem in problems:
        print(problem)
    unknown = sorted({name for f in files if (name := layer_of(f)) is not None and name not in ALLOWED})
    for name in unknown:
        print(f"src/dashboard/{name}: a package with no entry in ALLOWED (scripts/check_layers.py)")
    if problems or unknown:
        print(f"{len(problems) + len(unknown)} layer violation(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
