"""The size check names long functions and modules, and honours a stated reason."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _checker(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_sizes_under_test", ROOT / "scripts" / "check_sizes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.ROOT = root  # type: ignore[attr-defined]
    return module


def _function(name: str, body_lines: int, mark: str = "") -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines))
    return f"{mark}def {name}() -> None:\n{body}\n\n"


def test_long_function_and_module_are_named_and_a_reason_exempts(tmp_path: Path) -> None:
    check = _checker(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    ok = src / "ok.py"
    ok.write_text(_function("short", 59), "utf-8")
    long_fn = src / "long_fn.py"
    long_fn.write_text("\n" + _function("too_long", 60) + _function("why", 80, "# size: one SQL statement\n"), "utf-8")
    big = src / "big.py"
    big.write_text("".join(_function(f"f{i}", 8) for i in range(40)), "utf-8")
    exempt = src / "exempt.py"
    exempt.write_text("# size: generated table\n" + "".join(_function(f"f{i}", 8) for i in range(40)), "utf-8")

    assert check.main([str(ok), str(exempt)]) == 0
    assert check.function_breaches(long_fn, long_fn.read_text()) == [
        "src/long_fn.py:2: function too_long has 61 lines (limit 60; split it or say why with '# size: ...')"]
    assert check.module_breach(big, big.read_text())[0].startswith("src/big.py:1: module has 440 lines")
    assert check.main([str(long_fn)]) == 1


def test_the_source_tree_is_within_the_limits() -> None:
    check = _checker(ROOT)
    assert check.main([]) == 0
