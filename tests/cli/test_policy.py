"""dashboard policy show|export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.services.policy import apply_policy
from dashboard.store import Store


def test_show_and_export(store_copy: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    apply_policy(store_copy, "gbm_champion", 0.2, 0.17, "Q3 review", actor="ann", role="data_scientist")
    root = str(store_copy.root)
    assert main(["--store", root, "policy", "show", "--model", "gbm_champion", "--history"]) == 0
    out = capsys.readouterr().out
    assert "gbm_champion: v1 approve if score < 0.17, review if 0.17 <= score < 0.2, else decline" in out
    assert "v1 [in force] cutoff 0.2 review from 0.17 (was 0.15) by ann" in out
    assert main(["--store", root, "policy", "export", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["models"]["gbm_champion"]["cutoff"] == 0.2
    assert data["models"]["gbm_champion"]["review_from"] == 0.17
    assert data["models"]["hgb_challenger"]["version"] == 0
    target = tmp_path / "out" / "policy.json"
    assert main(["--store", root, "policy", "export", "--format", "json", "--out", str(target)]) == 0
    assert json.loads(target.read_text("utf-8"))["models"]["gbm_champion"]["version"] == 1
    assert main(["--store", root, "policy", "show", "--format", "json", "--history"]) == 0
    assert len(json.loads(capsys.readouterr().out)["history"]["gbm_champion"]) == 2


def test_unknown_model_and_missing_store(store_copy: Store, capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    assert main(["--store", str(store_copy.root), "policy", "show", "--model", "nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert main(["--store", str(tmp_path / "none"), "policy", "export", "--format", "json"]) == 2
    assert "no store at" in capsys.readouterr().err
