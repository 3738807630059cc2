"""dashboard report drift: formats, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.store import Store
from dashboard.store.drift import log_date_range


def _run(capsys: pytest.CaptureFixture[str], store: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--store", str(store), "report", "drift", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_markdown_html(small_store: Store, small_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lo, hi = log_date_range(small_store, "gbm_champion")
    window = f"{lo}:{hi}"
    code, out, _ = _run(capsys, small_store_dir, "--model", "gbm_champion", "--reference", window,
                        "--current", window, "--format", "json", "--fail-on-drift")
    data = json.loads(out)
    assert code == 0 and data["drifted"] is False
    assert data["recommendation"]["action"] == "no action"
    assert {f["status"] for f in data["features"]} == {"stable"}
    assert len(data["features"]) == len(small_store.load_card("gbm_champion").features)
    code, out, _ = _run(capsys, small_store_dir, "--model", "gbm_champion", "--format", "md")
    assert code == 0 and out.startswith("# Drift report: gbm_champion") and "| feature |" in out
    assert "training data" in out
    code, out, _ = _run(capsys, small_store_dir, "--model", "gbm_champion", "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "<table>" in out


def test_fail_on_drift_exits_one(demo_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, demo_store_dir, "--model", "gbm_champion", "--current", "2026-04-01:2026-04-30",
                          "--format", "json", "--fail-on-drift")
    data = json.loads(out)
    assert code == 1 and "Retrain recommended" in err
    assert data["recommendation"]["verdict"] == "both"
    rules = {r["rule"]: r for r in data["recommendation"]["reasons"]}
    assert rules["concept drift (calibration)"]["since"] == "2026-04"
    assert "inquiries_6m" in rules["data drift on important features"]["features"]
    assert rules["data drift on important features"]["since"] == "2026-02"


@pytest.mark.parametrize(("args", "message"), [
    (["--reference", "2026-05-01:2026-05-31", "--current", "2025-06-01:2025-06-30"], "after the current window"),
    (["--current", "2026-05-01"], "--current '2026-05-01' is one date; a window needs two"),
    (["--current", "2026-13-01:2026-14-01"], "'2026-13-01' is not a date; write dates as YYYY-MM-DD"),
    (["--current", "2026-04-01..2026-04-30"], "separate the two dates with a colon, as in 2026-04-01:2026-04-30"),
    (["--reference", "2026-Q5"], "--reference '2026-Q5': the quarter must be Q1 to Q4"),
    (["--current", "1990-01-01:1990-01-31"], "holds no predictions"),
    (["--reference", "1990-01-01:1990-01-31"], "reference window 1990-01-01 to 1990-01-31 holds no predictions"),
])
def test_bad_input_exits_two(small_store_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                             message: str) -> None:
    code, out, err = _run(capsys, small_store_dir, "--model", "gbm_champion", *args)
    assert code == 2 and out == "" and message in err


def test_unknown_model(small_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, small_store_dir, "--model", "nope")
    assert code == 2 and "unknown model 'nope'; registered models: " in err
