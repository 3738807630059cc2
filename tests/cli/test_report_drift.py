"""dashboard report drift: formats, exit codes, bad input."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scipy import stats

from dashboard.cli import main
from dashboard.cli.report_drift import build_report
from dashboard.store import Store
from dashboard.store.drift import log_date_range
from tests.support.foreign_portfolio import (
    MODEL,
    NUMERIC,
    ForeignPortfolio,
    build_foreign_portfolio,
)


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
    assert "- Reference: training window 2023-01-01 to 2024-12-31 (training.parquet: " in out
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


# ---------------------------------------------------------------------- a portfolio we did not generate


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> ForeignPortfolio:
    return build_foreign_portfolio(tmp_path_factory.mktemp("foreign"))


def _raw_wasserstein(ref: pd.Series, cur: pd.Series) -> float:
    a = pd.to_numeric(ref, errors="coerce").dropna().to_numpy(float)
    b = pd.to_numeric(cur, errors="coerce").dropna().to_numpy(float)
    return float(stats.wasserstein_distance(a, b))


@pytest.mark.parametrize("windows", [
    ("training", "2025-04-01:2025-04-30"),          # the registered reference file against a month of logs
    ("training", "2025-01-01:2025-04-30"),          # ... against every log
    ("2025-01-01:2025-01-31", "2025-03-01:2025-04-30"),  # two windows of logs (shifted amounts and ages)
    ("2025-01-01:2025-01-31", "2025-02-01:2025-02-28"),  # two windows from one population: noise only
])
def test_wasserstein_within_5_percent_of_scipy_on_raw_rows(foreign: ForeignPortfolio,
                                                           capsys: pytest.CaptureFixture[str],
                                                           windows: tuple[str, str]) -> None:
    ref_arg, cur_arg = windows
    code, out, _ = _run(capsys, foreign.store, "--model", MODEL, "--reference", ref_arg, "--current", cur_arg,
                        "--format", "json")
    assert code == 0
    table = {f["feature"]: f for f in json.loads(out)["features"]}
    logs = foreign.logs

    def rows(window: str) -> pd.DataFrame:
        lo, hi = (dt.date.fromisoformat(d) for d in window.split(":"))
        return logs[(logs["date"] >= lo) & (logs["date"] <= hi)]

    ref = foreign.reference if ref_arg == "training" else rows(ref_arg)
    cur = rows(cur_arg)
    for name in NUMERIC:
        exact = _raw_wasserstein(ref[name], cur[name])
        assert table[name]["wasserstein"] == pytest.approx(exact, rel=0.05), name
        assert table[name]["wasserstein_estimate"] == "bin positions"


_DATAFRAME_TEXT = re.compile(r"\n|dtype:|\[\d+ rows x \d+ columns\]|\S\s{3,}\S")


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _refuse_constant(name: str) -> None:
    raise ValueError(f"non-finite number {name} in the JSON")


# Per store: default windows, two windows of logs, a tiny current window (many figures missing).
_JSON_CASES = {"foreign": [(), ("--reference", "2025-01-01:2025-01-31", "--current", "2025-03-01:2025-04-30"),
                           ("--current", "2025-01-01:2025-01-02")],
               "sample": [(), ("--reference", "2025-05-01:2025-05-31", "--current", "2026-06-01:2026-10-31"),
                          ("--current", "2026-10-30:2026-10-31")]}


def test_every_json_output_is_plain_data(foreign: ForeignPortfolio, small_store_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    for kind, store, model in (("foreign", foreign.store, MODEL), ("sample", small_store_dir, "gbm_champion")):
        for args in _JSON_CASES[kind]:
            code, out, _ = _run(capsys, store, "--model", model, "--format", "json", *args)
            assert code == 0, (kind, args)
            data = json.loads(out, parse_constant=_refuse_constant)   # NaN or Infinity would raise
            assert json.loads(json.dumps(data, allow_nan=False)) == data
            printed = [s for s in _strings(data) if _DATAFRAME_TEXT.search(s)]
            assert printed == []
            series = data["concept"]["series"]
            assert isinstance(series, list) and all(isinstance(r, dict) for r in series)
            for row in series:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["period"])
                assert isinstance(row["judged"], bool) and isinstance(row["n"], int)
            assert isinstance(data["reference_data"], dict) and data["reference_data"]["label"] == data["reference"]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_markdown_and_html_say_n_a_never_blank_nan_or_none(foreign: ForeignPortfolio, small_store_dir: Path,
                                                           capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    for store, model in ((foreign.store, MODEL), (small_store_dir, "gbm_champion")):
        code, out, _ = _run(capsys, store, "--model", model, "--format", fmt, "--current", "2025-01-01:2025-01-02"
                            if model == MODEL else "2026-10-01:2026-10-31")
        assert code == 0
        assert re.search(r"\b(nan|NaN|None|NaT)\b", out) is None
        if fmt == "md":
            cells = [c.strip() for line in out.splitlines() if line.startswith("|") for c in line.strip("|").split("|")]
            assert cells and "" not in cells
            assert re.search(r": *(vs|->|\(|$)", out, re.MULTILINE) is None   # no figure left out of a sentence
            assert "n/a" in out   # this window has no matured label: AUC and bad rates are missing
        else:
            assert re.search(r"<td>\s*</td>", out) is None


def test_reference_file_is_labelled_with_its_own_dates(foreign: ForeignPortfolio,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A file registered with the model whose dates lie outside the card's training window (2023) is
    that file, with its dates read from its own timestamp column: not the training window."""
    stamps = pd.to_datetime(foreign.reference["timestamp"])
    expected = (f"reference file {foreign.reference_file.name}: {len(foreign.reference):,} rows dated "
                f"{stamps.min().date()} to {stamps.max().date()}")
    code, out, _ = _run(capsys, foreign.store, "--model", MODEL, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["reference"] == expected
    assert data["reference_data"]["kind"] == "reference file" and "2023" not in data["reference"]
    code, out, _ = _run(capsys, foreign.store, "--model", MODEL, "--format", "md")
    assert f"- Reference: {expected}" in out and "training window" not in out
    code, out, _ = _run(capsys, foreign.store, "--model", MODEL, "--format", "html")
    assert html.escape(expected) in out
    code, out, _ = _run(capsys, foreign.store, "--model", MODEL, "--format", "json",
                        "--reference", "2025-01-01:2025-01-31")
    assert json.loads(out)["reference"] == "logs from 2025-01-01 to 2025-01-31"


def test_undated_reference_file_is_a_file_of_n_rows_registered_on_a_day(foreign: ForeignPortfolio, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    shutil.copytree(foreign.store, store)
    undated = tmp_path / "development_sample.csv"
    foreign.reference.drop(columns="timestamp").head(5_000).to_csv(undated, index=False)
    card = foreign.reference_file.parent / "card.yaml"
    assert main(["--store", str(store), "register-model", str(card), "--reference", str(undated)]) == 0
    capsys.readouterr()
    code, out, _ = _run(capsys, store, "--model", MODEL, "--format", "json")
    today = dt.datetime.now(dt.UTC).date()
    assert code == 0
    assert json.loads(out)["reference"] == (f"reference file development_sample.csv: a file of 5,000 rows "
                                            f"registered on {today}")


def test_training_data_is_labelled_as_the_training_window(small_store: Store) -> None:
    """The sample's training.parquet is dated inside its card's training window: that is the training data."""
    card = small_store.load_card("gbm_champion")
    reference = small_store.read_reference("gbm_champion")
    assert card.training_window is not None and reference is not None
    stamps = pd.to_datetime(reference["timestamp"])
    lo, hi = log_date_range(small_store, "gbm_champion")
    report = build_report(small_store, "gbm_champion", None, (lo, hi))
    assert report.reference_label == (f"training window {card.training_window[0]} to {card.training_window[1]} "
                                      f"(training.parquet: {len(reference):,} rows dated {stamps.min().date()} to "
                                      f"{stamps.max().date()})")
