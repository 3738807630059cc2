"""`dashboard card draft`: a card drafted from a log registers once filled, and ingesting the
same log then stores and rolls up every row (a generated log and the real German credit data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from dashboard.cli import main
from dashboard.store import Store
from dashboard.store.portfolio import read_portfolio

GERMAN = Path("/work/shared/datasets/german_credit.csv")


def _fill(card_path: Path) -> Path:
    """Fill every blank the draft leaves, as a user would, and write the card beside it."""
    data: dict[str, Any] = yaml.safe_load(card_path.read_text("utf-8"))
    data.update(owner="Credit risk team", algorithm="scikit-learn logistic regression",
                target="label = 1 when 90+ days past due within 12 months")
    data["training"] = {"window": {"start": "2024-01-01", "end": "2024-12-31"}, "data": "development sample"}
    for feature in data["features"]:
        feature["description"] = f"The applicant's {feature['name']}"
        feature["reason_template"] = f"{feature['name']} of {{value}}"
    filled = card_path.with_name("filled.yaml")
    filled.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return filled


def _rollup_totals(store: Store, model_id: str) -> tuple[int, dict[str, int], dict[str, int]]:
    daily = int(store.sql("SELECT coalesce(sum(n), 0) AS n FROM r_daily WHERE model_id = ?", [model_id])["n"].iloc[0])
    features = store.sql("SELECT feature, sum(n) AS n FROM r_features WHERE model_id = ? GROUP BY feature", [model_id])
    groups = store.sql("SELECT attribute, sum(n) AS n FROM r_groups WHERE model_id = ? GROUP BY attribute", [model_id])
    return (daily, {str(r.feature): int(r.n) for r in features.itertuples()},
            {str(r.attribute): int(r.n) for r in groups.itertuples()})


def _draft_register_ingest(log_path: Path, model_id: str, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], Store]:
    card_path = tmp_path / "card.yaml"
    assert main(["card", "draft", "--predictions", str(log_path), "--model-id", model_id,
                 "--out", str(card_path)]) == 0
    draft = yaml.safe_load(card_path.read_text("utf-8"))
    store = Store(tmp_path / "store")
    # As drafted, the required fields the user must fill are refused by name.
    assert main(["--store", str(store.root), "register-model", str(card_path)]) != 0
    refused = capsys.readouterr().err
    assert all(f"required field '{f}' is missing" in refused for f in ("algorithm", "owner", "target"))
    assert main(["--store", str(store.root), "register-model", str(_fill(card_path))]) == 0
    assert main(["--store", str(store.root), "ingest", "predictions", str(log_path)]) == 0
    assert " 0 rejected" in capsys.readouterr().out
    return draft, store


def test_a_draft_from_a_generated_log_registers_and_every_row_rolls_up(
        small_portfolio_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = read_portfolio(small_portfolio_dir)
    log_path = next(p for p in files.predictions if p.stem == "gbm_champion")
    log = pd.read_parquet(log_path)
    draft, store = _draft_register_ingest(log_path, "gbm_champion", tmp_path, capsys)
    truth = yaml.safe_load(files.cards["gbm_champion"].read_text("utf-8"))
    # The generator's own card is the answer: every feature with its type, the protected
    # attributes and the personal columns, found from the log alone.
    assert {f["name"]: f["type"] for f in draft["features"]} == {f["name"]: f["type"] for f in truth["features"]}
    for f in draft["features"]:
        if f["type"] == "categorical":
            assert f["categories"] == sorted(log[f["name"]].dropna().astype(str).unique())
        else:
            assert (f["min"], f["max"]) == (log[f["name"]].min(), log[f["name"]].max())
    assert sorted(p if isinstance(p, str) else p["name"] for p in draft["protected_attributes"]) == \
        sorted(truth["protected_attributes"])
    assert sorted(draft["personal_columns"]) == sorted(truth["personal_columns"])
    daily, features, groups = _rollup_totals(store, "gbm_champion")
    assert daily == len(log)
    assert features == {f["name"]: len(log) for f in truth["features"]}
    assert groups == {p: len(log) for p in truth["protected_attributes"]}


@pytest.mark.skipif(not GERMAN.is_file(), reason="the shared German credit data set is not on this machine")
def test_a_draft_from_the_german_credit_data_registers_and_every_row_rolls_up(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = pd.read_csv(GERMAN)
    # The data set as a prediction log: its ID as the application, a score and a decision per row.
    rng = np.random.default_rng(1)
    log = raw.drop(columns=["Default"]).rename(columns={"ID": "application_id"})
    log.insert(0, "prediction_id", [f"gc-{i}" for i in range(len(log))])
    log.insert(1, "model_id", "german_logit")
    log.insert(2, "timestamp", pd.date_range("2026-01-01", periods=len(log), freq="6h")
               .strftime("%Y-%m-%dT%H:%M:%SZ"))
    log["score"] = np.round(rng.random(len(log)), 4)
    log["decision"] = np.where(log["score"] < 0.3, "approve", "decline")
    log_path = tmp_path / "german_log.csv"
    log.to_csv(log_path, index=False)
    draft, store = _draft_register_ingest(log_path, "german_logit", tmp_path, capsys)
    features = {f["name"]: f for f in draft["features"]}
    assert {n: f["type"] for n, f in features.items()} == {
        "Job": "numeric", "Housing": "categorical", "Saving accounts": "categorical",
        "Checking account": "categorical", "Credit amount": "numeric", "Duration": "numeric",
        "Purpose": "categorical"}
    for name in ("Saving accounts", "Checking account", "Purpose", "Housing"):
        assert features[name]["categories"] == sorted(raw[name].dropna().unique())   # empty cells stay missing
    for name in ("Credit amount", "Duration", "Job"):
        assert (features[name]["min"], features[name]["max"]) == (raw[name].min(), raw[name].max())
    # Age in years is banded by default; Sex is one group per value.
    assert draft["protected_attributes"] == [{"name": "Age", "bands": [25, 35, 45, 55, 65]}, "Sex"]
    assert draft["cutoff"] == log.loc[log["decision"] == "decline", "score"].min()
    daily, rolled, groups = _rollup_totals(store, "german_logit")
    assert daily == len(raw) and rolled == {n: len(raw) for n in features} and groups == {"Age": 1000, "Sex": 1000}


def test_the_draft_prints_without_out_and_never_overwrites(small_portfolio_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    log_path = next(p for p in read_portfolio(small_portfolio_dir).predictions if p.stem == "logit_scorecard")
    assert main(["card", "draft", "--predictions", str(log_path), "--model-id", "logit_scorecard"]) == 0
    printed = capsys.readouterr().out
    assert yaml.safe_load(printed)["id"] == "logit_scorecard" and printed.startswith("# Model card drafted")
    out = tmp_path / "card.yaml"
    out.write_text("mine", "utf-8")
    assert main(["card", "draft", "--predictions", str(log_path), "--model-id", "logit_scorecard",
                 "--out", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err and out.read_text("utf-8") == "mine"
    assert main(["card", "draft", "--predictions", str(log_path), "--model-id", "logit_scorecard",
                 "--out", str(out), "--force"]) == 0
    assert yaml.safe_load(out.read_text("utf-8"))["id"] == "logit_scorecard"


@pytest.mark.parametrize(("args", "message"), [
    (["--predictions", "typo.csv", "--model-id", "m"], "no such file: typo.csv"),
    (["--predictions", "LOG", "--model-id", "../m"], "model id '../m' is not allowed"),
    (["--predictions", "LOG", "--model-id", "nobody"], "has no rows of model 'nobody' (model_id values in it: m1)"),
    (["--predictions", "EMPTY", "--model-id", "m1"], "the file is empty"),
])
def test_bad_input_exits_2_with_a_message(args: list[str], message: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.csv"
    pd.DataFrame({"prediction_id": ["p1"], "model_id": ["m1"], "timestamp": ["2026-01-01T00:00:00Z"],
                  "application_id": ["a1"], "score": [0.2], "income": [1000]}).to_csv(log, index=False)
    (tmp_path / "empty.csv").write_bytes(b"")
    args = [{"LOG": str(log), "EMPTY": str(tmp_path / "empty.csv")}.get(a, a) for a in args]
    assert main(["card", "draft", *args, "--out", str(tmp_path / "card.yaml")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "card.yaml").exists()


def test_the_command_module_loads_no_heavy_module() -> None:
    code = ("import sys; import dashboard.cli; before = set(sys.modules); import dashboard.cli.card; "
            "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in "
            "('pandas', 'numpy', 'pyarrow', 'duckdb', 'yaml', 'sklearn', 'scipy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
