"""`dashboard report impact`: the same seven values as the hand calculation, in three formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.store import Store
from tests.support import tiny_impact
from tests.support.tiny_impact import expected_tiny

# the shared fixtures, visible to pytest in this module
tiny_dir = tiny_impact.tiny_dir
tiny_targets = tiny_impact.tiny_targets


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_values_equal_the_hand_calculation(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2026-04",
                         "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["period"] == "2026-04" and data["model_id"] == "tiny"
    values = {f["figure"]: f["value"] for p in data["points"].values() for f in p["figures"]}
    for key, value in expected_tiny().items():
        assert values[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    assert data["points"]["responsibility"]["status"] == "at risk"
    cash = data["points"]["cash"]["figures"][0]
    assert cash["formula"] and cash["inputs"]["baseline policy"].startswith("approve when champion score <")


def test_csv_has_one_row_per_figure(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2026-04",
                       "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out)).set_index("figure")
    expected = expected_tiny()
    assert set(frame.index) == set(expected)
    for key, value in expected.items():
        assert frame.loc[key, "value"] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    assert frame.loc["hours_saved", "status"] == "no target"
    assert frame.loc["losses_avoided", "target"] == 0


def test_html_report_written_to_a_file(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "report" / "impact.html"
    code, out, _ = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2026-04",
                       "--format", "html", "--out", str(out_file))
    assert code == 0 and "written to" in out
    html = out_file.read_text("utf-8")
    assert "AI impact scorecard: 2026-04" in html
    cash = expected_tiny()["losses_avoided"]
    assert f"-EUR {-cash:,.0f}" in html and cash < 0   # Cash, rounded to the euro
    assert "Officer hours saved</td><td class='num'>4 h<" in html   # Labor: 4.25 hours
    assert html.count("How:") == 16


def test_latest_period_is_the_newest_month(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--store", str(tiny_dir), "report", "impact")
    assert code == 0 and json.loads(out)["period"] == "2026-04"


def test_no_data_bad_period_and_missing_store(tiny_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2024-01")
    assert code == 2 and "No decisions by the champion tiny in 2024-01" in err
    code, _, err = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "April")
    assert code == 2 and "--period 'April' is not a window" in err
    code, _, err = run(capsys, "--store", str(tmp_path / "nowhere"), "report", "impact")
    assert code == 2 and "no store" in err


def test_bad_business_value_and_missing_targets(tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DASHBOARD_IMPACT_TARGETS", str(tmp_path / "absent.toml"))
    code, out, err = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2026-04")
    assert code == 0 and "warning: no targets file" in err
    assert {f["status"] for p in json.loads(out)["points"].values() for f in p["figures"]} <= {"no target", "no data"}
    bad = tmp_path / "business.toml"
    bad.write_text("[baseline]\ncutoff = 1.5\n", "utf-8")
    monkeypatch.setenv("DASHBOARD_BUSINESS_CONFIG", str(bad))
    code, _, err = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2026-04")
    assert code == 2 and "cutoff is a fraction between 0 and 1" in err


def test_fail_on_off_track(tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text("[targets.hours_saved]\ntarget = 1000\nat_risk = 900\n", "utf-8")
    monkeypatch.setenv("DASHBOARD_IMPACT_TARGETS", str(strict))
    code, _, err = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2026-04",
                       "--fail-on", "off-track")
    assert code == 1 and "Labor" in err
    code, _, _ = run(capsys, "--store", str(tiny_dir), "report", "impact", "--period", "2026-04")
    assert code == 0


def test_store_is_not_created_by_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = Store(tmp_path / "empty")
    code, _, err = run(capsys, "--store", str(empty.root), "report", "impact")
    assert code == 2 and "no prediction logs" in err
