"""Size limits for src/: no function over 60 lines, no module over 400 lines.

An exception is allowed where a comment says why: `# size: <reason>` on the line of the `def`
(or the line above it) for a function, in the module's first 10 lines for a module. Prints
`file:line: ...` for each breach and exits 1 when there is any. Run by `make lint`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_FUNCTION = 60
MAX_MODULE = 400
MARK = "# size:"


def function_breaches(path: Path, text: str) -> list[str]:
    lines = text.splitlines()
    out = []
    for node in ast.walk(ast.parse(text, str(path))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        length = (node.end_lineno or node.lineno) - start + 1
        nearby = " ".join(lines[max(start - 2, 0): node.lineno])
        if length > MAX_FUNCTION and MARK not in nearby:
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: function {node.name} has {length} lines "
                       f"(limit {MAX_FUNCTION}; split it or say why with '{MARK} ...')")
    return out


def module_breach(path: Path, text: str) -> list[str]:
    lines = text.splitlines()
    if len(lines) > MAX_MODULE and not any(MARK in line for line in lines[:10]):
        return [f"{path.relative_to(ROOT)}:1: module has {len(lines)} lines (limit {MAX_MODULE}; split it or say "
                f"why with '{MARK} ...' in its first lines)"]
    return []


def main(argv: list[str] | None = None) -> int:
    files = [Path(a).resolve() for a in argv] if argv else sorted((ROOT / "src").rglob("*.py"))
    problems = []
    for path in files:
        text = path.read_text("utf-8")
        problems += module_breach(path, text) + function_breaches(path, text)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} size limit breach(es)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
