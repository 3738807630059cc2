"""Malicious model files and oversized or malformed uploads: refused with a message, store intact."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from dashboard.cli import main
from dashboard.models.artifact import ArtifactError, load_model
from dashboard.store import Store

SENTINEL = Path("/tmp/dashboard-skops-pwned")


def _pwn(_: object) -> None:  # would leave a file behind if a loader ever ran it
    SENTINEL.write_text("pwned")


def _rows(store: Store) -> int:
    return int(store.sql("SELECT sum(n)::BIGINT AS n FROM r_daily")["n"].iloc[0])


@pytest.mark.parametrize("func", [os.system, eval, _pwn])
def test_malicious_skops_is_refused_by_the_cli(store_copy: Store, small_portfolio_dir: Path, tmp_path: Path,
                                               func: object, capsys: pytest.CaptureFixture[str]) -> None:
    artifact = tmp_path / "model.skops"
    artifact.write_bytes(sio.dumps(FunctionTransformer(func=func)))
    card = small_portfolio_dir / "models" / "gbm_champion" / "card.yaml"
    before = store_copy.read_artifact("gbm_champion")
    assert main(["--store", str(store_copy.root), "register-model", str(card), "--artifact", str(artifact)]) == 2
    assert "untrusted" in capsys.readouterr().err
    assert store_copy.read_artifact("gbm_champion") == before  # the good model was not replaced
    assert not SENTINEL.exists()


def test_malicious_skops_placed_in_the_store_is_not_loaded(store_copy: Store) -> None:
    path = store_copy.root / "models" / "gbm_champion" / "model.skops"
    path.write_bytes(sio.dumps(FunctionTransformer(func=_pwn)))
    with pytest.raises(ArtifactError, match="untrusted"):
        load_model(store_copy.read_artifact("gbm_champion") or b"")
    assert not SENTINEL.exists()


def _ingest(store: Store, path: Path) -> int:
    return main(["--store", str(store.root), "ingest", "predictions", str(path)])


@pytest.mark.parametrize("name,content", [
    ("random.parquet", os.urandom(4096)),
    ("random.csv", os.urandom(4096)),
    ("zip.csv", b"PK\x03\x04" + b"\x00" * 2000),
    ("lines.jsonl", b'{"prediction_id": "a"\n{]\n' * 50),
    ("nul.csv", b"prediction_id,model_id\x00,timestamp\n\x00\x00\n"),
    ("quotes.csv", b'prediction_id,model_id,timestamp,application_id,score\n"unterminated,x,y,z,0.5\n'),
])
def test_malformed_files_are_refused_with_a_message(store_copy: Store, tmp_path: Path, name: str, content: bytes,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(store_copy)
    path = tmp_path / name
    path.write_bytes(content)
    assert _ingest(store_copy, path) == 1
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err
    assert _rows(store_copy) == rows


def test_oversized_values_and_wide_files_do_not_break_the_store(store_copy: Store, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(store_copy)
    huge = "A" * 5_000_000
    wide = pd.DataFrame({f"c{i}": np.zeros(3) for i in range(5_000)})
    wide["prediction_id"], wide["model_id"] = huge[:10], ["gbm_champion", huge, "x"]
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    assert path.stat().st_size > 5_000_000
    code = _ingest(store_copy, path)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert len(err) < 50_000  # the message names the problem without echoing 5 MB back
    assert _rows(store_copy) == rows
