"""dashboard report performance: figures as JSON or Markdown, exit code from the alert rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.store import Store

QUIET_RULES = """
[rules.auc_drop]
warning = 5
critical = 5
[rules.score_psi]
warning = 5
critical = 5
[rules.approval_rate_change]
warning = 5
critical = 5
[rules.volume_drop]
warning = 5
critical = 5
[rules.latency_p95]
warning = 100000
critical = 100000
"""


def _run(store: Path, *args: str) -> int:
    return main(["--store", str(store), "report", "performance", *args])


def test_json_report_holds_the_figures(small_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(small_store_dir, "--model", "gbm_champion", "--format", "json")
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["model"] == "gbm_champion" and report["role"] == "champion"
    assert report["population"] == "approved applications with a matured outcome"
    assert 0 < report["cutoff_in_force"] < 1
    months = report["months"]
    assert len(months) >= 12
    assert sum(m["applications"] for m in months) > 0
    matured = [m for m in months if m["auc"] is not None]
    assert matured and all(0 < m["auc"] < 1 for m in matured)
    assert all(m["expected_auc"] is not None for m in months)
    # The exit code is the alerts' verdict on the latest month.
    assert code == (1 if report["alerts_now"] else 0)
    if code:
        assert "alert rule(s) fail for gbm_champion" in out.err


def test_exit_code_follows_the_rules(small_store_dir: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    quiet = tmp_path / "quiet.toml"
    quiet.write_text(QUIET_RULES)
    assert _run(small_store_dir, "--model", "logit_scorecard", "--config", str(quiet)) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Performance report: logit_scorecard (challenger)")
    assert "No rule fails in the latest month." in md
    assert "(estimate)" in md
    strict = tmp_path / "strict.toml"
    strict.write_text("[rules.latency_p95]\nwarning = 0.001\ncritical = 0.002\n")
    assert _run(small_store_dir, "--model", "logit_scorecard", "--config", str(strict), "--format", "md") == 1
    captured = capsys.readouterr()
    assert "**critical** latency_p95" in captured.out
    assert "latency_p95 (critical)" in captured.err
    warn_only = tmp_path / "warn.toml"
    warn_only.write_text("[rules.latency_p95]\nwarning = 0.001\ncritical = 100000\n")
    assert _run(small_store_dir, "--model", "logit_scorecard", "--config", str(warn_only),
                "--fail-on", "critical") == 0


def test_default_model_is_the_champion(small_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(small_store_dir, "--format", "json")
    assert json.loads(capsys.readouterr().out)["model"] == "gbm_champion"


def test_bad_inputs_exit_2_with_a_message(small_store_dir: Path, tmp_path: Path, empty_store: Store,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(small_store_dir, "--model", "nope") == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules.score_psi]\nwarning = 'high'\n")
    assert _run(small_store_dir, "--config", str(bad)) == 2
    assert "score_psi] warning must be a non-negative number" in capsys.readouterr().err
    assert _run(tmp_path / "no-store-here") == 2
    assert "no store at" in capsys.readouterr().err
    assert _run(empty_store.root, "--model", "gbm_champion") == 2
    assert "unknown model" in capsys.readouterr().err
