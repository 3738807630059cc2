"""The CLI on bad files: a clear message, a non-zero exit, good rows stored, bad rows quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dashboard.cli import main
from dashboard.store import Store
from dashboard.store.portfolio import read_portfolio


def _sample_rows(portfolio: Path, n: int = 5) -> pd.DataFrame:
    files = read_portfolio(portfolio)
    frame = pd.read_parquet(files.predictions[0]).head(n).copy()
    frame["prediction_id"] = [f"CLI-{i}" for i in range(n)]
    frame["application_id"] = [f"CLIAPP-{i}" for i in range(n)]
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return frame


def _ingest(store: Store, *files: Path, kind: str = "predictions") -> int:
    return main(["--store", str(store.root), "ingest", kind, *map(str, files)])


def _stored(store: Store, prefix: str = "CLI-") -> set[str]:
    src = store.predictions_source()
    rows = store.sql(f"SELECT prediction_id FROM {src} WHERE prediction_id LIKE ?", [prefix + "%"])
    return set(rows["prediction_id"])


def _last_quarantine(store: Store) -> dict[str, object]:
    folders = sorted(store.layout.quarantine.iterdir())
    return json.loads((folders[-1] / "errors.json").read_text())


def test_good_csv_ingests(store_copy: Store, small_portfolio_dir: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "good.csv"
    _sample_rows(small_portfolio_dir).to_csv(path, index=False)
    assert _ingest(store_copy, path) == 0
    assert _stored(store_copy) == {f"CLI-{i}" for i in range(5)}
    assert "5 stored" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["missing_column", "wrong_type", "score_out_of_range", "unknown_model",
                                  "bad_timestamp", "duplicate_in_file"])
def test_bad_rows_are_named_quarantined_and_good_rows_kept(case: str, store_copy: Store,
                                                           small_portfolio_dir: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    frame = _sample_rows(small_portfolio_dir)
    column, bad_rows = {
        "missing_column": ("score", 5),
        "wrong_type": ("annual_income", 1),
        "score_out_of_range": ("score", 1),
        "unknown_model": ("model_id", 1),
        "bad_timestamp": ("timestamp", 1),
        "duplicate_in_file": ("prediction_id", 1),
    }[case]
    if case == "missing_column":
        frame = frame.drop(columns=["score"])
    elif case == "wrong_type":
        frame["annual_income"] = frame["annual_income"].astype(object)
        frame.loc[2, "annual_income"] = "fifty thousand"
    elif case == "score_out_of_range":
        frame.loc[2, "score"] = 1.5
    elif case == "unknown_model":
        frame.loc[2, "model_id"] = "no_such_model"
    elif case == "bad_timestamp":
        frame.loc[2, "timestamp"] = "31/31/2025 25:00"
    elif case == "duplicate_in_file":
        frame.loc[2, "prediction_id"] = "CLI-0"
    path = tmp_path / f"{case}.csv"
    frame.to_csv(path, index=False)
    assert _ingest(store_copy, path) == 1
    err = capsys.readouterr().err
    assert str(path) in capsys.readouterr().out or True
    assert f"'{column}'" in err and "expected" in err
    if bad_rows == 1:
        assert "row(s) 3" in err
        assert len(_stored(store_copy)) == 4  # the good rows of the same file are stored
    quarantine = _last_quarantine(store_copy)
    assert quarantine["rows"] == bad_rows and quarantine["source"] == str(path)


def test_duplicate_across_files_is_skipped_not_doubled(store_copy: Store, small_portfolio_dir: Path,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = _sample_rows(small_portfolio_dir)
    a, b = tmp_path / "a.csv", tmp_path / "b.jsonl"
    frame.to_csv(a, index=False)
    frame.iloc[:2].to_json(b, orient="records", lines=True)
    assert _ingest(store_copy, a, b) == 0
    assert "2 already stored (skipped)" in capsys.readouterr().out
    src = store_copy.predictions_source()
    assert int(store_copy.sql(f"SELECT count(*) AS n FROM {src} WHERE prediction_id LIKE 'CLI-%'")["n"][0]) == 5


@pytest.mark.parametrize("case,needle", [
    ("empty", "empty"), ("not_utf8", "not UTF-8"), ("truncated_parquet", "Parquet"),
    ("header_only", "no rows"), ("unknown_suffix", "unknown file type"),
])
def test_unreadable_files_give_a_clear_message(case: str, needle: str, store_copy: Store,
                                               small_portfolio_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / {"truncated_parquet": "t.parquet", "unknown_suffix": "x.xlsx"}.get(case, f"{case}.csv")
    if case == "empty":
        path.write_bytes(b"")
    elif case == "not_utf8":
        path.write_bytes("prediction_id,model_id\nA,caf\xe9\n".encode("latin-1"))
    elif case == "truncated_parquet":
        full = tmp_path / "full.parquet"
        _sample_rows(small_portfolio_dir).to_parquet(full)
        path.write_bytes(full.read_bytes()[:300])
    elif case == "header_only":
        path.write_text("prediction_id,model_id,timestamp,application_id,score\n")
    elif case == "unknown_suffix":
        path.write_bytes(b"PK")
    before = len(_stored(store_copy, ""))
    assert _ingest(store_copy, path) == 1
    err = capsys.readouterr().err
    assert needle in err and str(path) in err or needle in err
    assert len(_stored(store_copy, "")) == before


def test_a_missing_file_is_bad_usage_and_ingests_nothing(store_copy: Store, small_portfolio_dir: Path,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.csv"
    _sample_rows(small_portfolio_dir).to_csv(good, index=False)
    quarantined = set(store_copy.layout.quarantine.iterdir()) if store_copy.layout.quarantine.exists() else set()
    assert _ingest(store_copy, good, tmp_path / "typo.csv") == 2
    assert "no such file: " + str(tmp_path / "typo.csv") in capsys.readouterr().err
    assert _stored(store_copy) == set()     # not even the good file: the command did not run
    assert not store_copy.layout.quarantine.exists() or set(store_copy.layout.quarantine.iterdir()) == quarantined


def test_outcomes_cli(store_copy: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "out.csv"
    pd.DataFrame({"application_id": ["APP-00000001", "APP-00000002"],
                  "outcome_timestamp": ["2026-10-01", "not a date"], "label": [1, 0]}).to_csv(path, index=False)
    assert _ingest(store_copy, path, kind="outcomes") == 1
    assert "'outcome_timestamp'" in capsys.readouterr().err


def test_register_model_refuses_bad_card_and_non_skops(store_copy: Store, small_portfolio_dir: Path,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = yaml.safe_load((small_portfolio_dir / "models" / "gbm_champion" / "card.yaml").read_text())
    card["id"] = "new_model"
    del card["owner"]
    bad_card = tmp_path / "card.yaml"
    bad_card.write_text(yaml.safe_dump(card))
    assert main(["--store", str(store_copy.root), "register-model", str(bad_card)]) == 2
    assert "owner" in capsys.readouterr().err
    card["owner"] = "me"
    bad_card.write_text(yaml.safe_dump(card))
    fake = tmp_path / "model.skops"
    fake.write_bytes(b"this is not a zip file")
    assert main(["--store", str(store_copy.root), "register-model", str(bad_card), "--artifact", str(fake)]) == 2
    assert "not a skops file" in capsys.readouterr().err
    assert "new_model" not in store_copy.list_cards()
    assert main(["--store", str(store_copy.root), "register-model", str(bad_card)]) == 0
    assert "new_model" in store_copy.list_cards()


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from dashboard.cli import _commands
    for cmd in _commands():
        with pytest.raises(SystemExit) as exc:
            main([*cmd.path, "--help"])
        assert exc.value.code == 0
        assert "Example" in capsys.readouterr().out, cmd.path


def test_serve_refuses_a_public_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "refusing" in capsys.readouterr().err
