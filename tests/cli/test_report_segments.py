"""dashboard report segments: figures per segment value as JSON or Markdown; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.cli import main
from tests.support.segment_store import CURRENT, build_segment_store, segment_logs

PERIOD = f"{CURRENT[0]}:{CURRENT[1]}"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("segments-cli") / "store"
    build_segment_store(root)
    return root


def _run(store: Path, *args: str) -> int:
    return main(["--store", str(store), "report", "segments", "--model", "m", *args])


def test_json_holds_each_value_with_its_population(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store_dir, "--by", "channel", "--period", PERIOD, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    preds = segment_logs()[0]
    day = preds["timestamp"].dt.date
    rows = preds[(day >= CURRENT[0]) & (day <= CURRENT[1])]
    want = rows["channel"].fillna("(missing)").value_counts().to_dict() | {"(all)": len(rows)}
    assert {s["value"]: s["applications"] for s in report["segments"]} == want
    assert report["segment_columns"] == ["product", "channel", "income", "age"]
    assert report["psi_reference"]["end"] == "2026-01-31"
    assert report["where_failing"]["auc"][0]["value"] == "broker"
    assert all(s["auc"] is None or 0 <= s["auc"] <= 1 for s in report["segments"])


def test_markdown_lists_values_and_the_ranking(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store_dir, "--by", "income", "--period", PERIOD) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# Segments of m by income, {PERIOD}")
    assert "| under 20,000" in out and "| 50,000 and over" in out and "| (all) |" in out
    assert "## Where is it failing" in out and "- **auc**:" in out


def test_unknown_column_exits_2_naming_the_declared_ones(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store_dir, "--by", "colour", "--period", PERIOD) == 2
    err = capsys.readouterr().err
    assert "'colour' is not a segment column of m; its segment columns: product, channel, income, age" in err


def test_bad_period_exits_2(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store_dir, "--by", "channel", "--period", "2026-13") == 2
    assert "--period '2026-13': the month must be 01 to 12" in capsys.readouterr().err
