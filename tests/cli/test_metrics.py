"""`dashboard metrics`: the exposition on standard output or in a file, and its exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.cli import main
from dashboard.store import Store

# Samples that depend on the moment of the scrape, not on the store.
MOMENT = ("_log_age_seconds", "refresh_timestamp_seconds", "refresh_duration_seconds")


def _run(capsys: pytest.CaptureFixture[str], store: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--store", str(store), "metrics", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _stable(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if not s.name.endswith(MOMENT)}


def test_output_file_holds_what_standard_output_prints(small_store_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, printed, err = _run(capsys, small_store_dir)
    assert (code, err) == (0, "")
    target = tmp_path / "textfile" / "dashboard.prom"
    target.parent.mkdir()
    code, out, err = _run(capsys, small_store_dir, "--output", str(target))
    assert (code, out, err) == (0, "", "")
    assert sorted(p.name for p in target.parent.iterdir()) == ["dashboard.prom"]  # no temporary file left
    written = _stable(target.read_text("utf-8"))
    assert written == _stable(printed)
    assert written[("dashboard_model_applications_total", (("model", "gbm_champion"),))] > 0


def test_an_empty_store_prints_the_store_series(empty_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, empty_store.root)
    assert code == 0
    names = {s.name for family in text_string_to_metric_families(out) for s in family.samples}
    assert {"dashboard_quarantine_rows", "dashboard_metrics_refresh_failures_total"} <= names


@pytest.mark.parametrize(("args", "message"), [
    (["--config", "RULES"], "RULES: [rules.score_psi] warning must be a non-negative number, got 'high'"),
    (["--config", "no-such.toml"], "the alert rules cannot be read: no such file no-such.toml"),
    (["--output", "no-such-folder/x.prom"], "--output no-such-folder/x.prom: no such folder no-such-folder"),
])
def test_bad_input_exits_2_with_a_message(empty_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text('[rules.score_psi]\nwarning = "high"\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    args = [str(rules) if a == "RULES" else a for a in args]
    code, out, err = _run(capsys, empty_store.root, *args)
    assert (code, out) == (2, "")
    assert message.replace("RULES", str(rules)) in err


def test_a_missing_store_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, tmp_path / "nothing")
    assert code == 2 and "no store at" in err
    assert not (tmp_path / "nothing").exists()  # reading metrics never creates a store
