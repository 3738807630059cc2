"""What the conformance tests share: the built portfolios, and the recorder and checks that
collect every mismatch of a test and the worst difference per portfolio and figure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.portfolios import GERMAN_CSV, Portfolio, build

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "conformance"
_BUILT: dict[str, Portfolio] = {}


def built_portfolio(name: str, root: Path) -> Portfolio:
    if name == "german" and not GERMAN_CSV.is_file():
        pytest.skip(f"the real German credit table is not at {GERMAN_CSV}: the german portfolio needs it")
    if name not in _BUILT:
        _BUILT[name] = build(name, root)
    return _BUILT[name]


class Recorder:
    """Worst |actual - expected| per (portfolio, figure), and whether every value was in tolerance."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    def __call__(self, portfolio: str, figure: str, actual: Any, expected: Any, ok: bool,
                 tolerance: str, where: str = "") -> None:
        try:
            diff = abs(float(actual) - float(expected))
        except (TypeError, ValueError):
            diff = 0.0 if ok else float("inf")
        row = self.rows.setdefault((portfolio, figure), {"checked": 0, "failed": 0, "worst": 0.0,
                                                         "tolerance": tolerance, "example": ""})
        row["checked"] += 1
        row["failed"] += 0 if ok else 1
        # The example shown is the worst failing value, else the worst value within tolerance.
        if (not ok and (row["failed"] == 1 or diff >= row["worst"])) or (row["failed"] == 0 and diff >= row["worst"]):
            row["example"] = f"{where}: expected {expected!r}, got {actual!r}"
        if diff == diff:
            row["worst"] = max(row["worst"], diff)

    def write(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        lines = ["| portfolio | figure | checked | failed | tolerance | worst difference | worst case |",
                 "|---|---|---|---|---|---|---|"]
        for (portfolio, figure), row in sorted(self.rows.items()):
            lines.append(f"| {portfolio} | {figure} | {row['checked']} | {row['failed']} | {row['tolerance']} | "
                         f"{row['worst']:.6g} | {row['example']} |")
        (path / "worst.md").write_text("\n".join(lines) + "\n", "utf-8")
        data = [{"portfolio": k[0], "figure": k[1], **v} for k, v in sorted(self.rows.items())]
        (path / "worst.json").write_text(json.dumps(data, indent=1, default=str), "utf-8")


class Checks:
    """Collects every mismatch of one test (so a failure lists them all) and records each value."""

    def __init__(self, recorder: Recorder, portfolio: str) -> None:
        self.recorder = recorder
        self.portfolio = portfolio
        self.problems: list[str] = []

    def value(self, figure: str, where: str, actual: Any, expected: Any, abs_: float = 0.0,
              rel: float = 0.0, tolerance: str | None = None) -> bool:
        """actual within max(abs_, rel x |expected|) of expected; None must meet None."""
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (actual, expected))
        if not numbers:
            ok = actual == expected
        else:
            ok = abs(float(actual) - float(expected)) <= max(abs_, rel * abs(float(expected))) + 1e-12
        text = tolerance or (f"{abs_:g}" if abs_ and not rel else f"{rel:.0%}" if rel and not abs_
                             else f"max({abs_:g}, {rel:.0%})" if rel else "exact")
        self.recorder(self.portfolio, figure, actual, expected, ok, text, where)
        if not ok:
            self.problems.append(f"{figure} [{where}]: expected {expected!r}, got {actual!r} (tolerance {text})")
        return ok

    def truth(self, figure: str, where: str, ok: bool, detail: str) -> bool:
        self.recorder(self.portfolio, figure, None, None, ok, "holds", where if ok else f"{where}: {detail}")
        if not ok:
            self.problems.append(f"{figure} [{where}]: {detail}")
        return ok

    def done(self) -> None:
        assert not self.problems, f"{self.portfolio}: {len(self.problems)} mismatch(es):\n" + "\n".join(
            self.problems[:60])
