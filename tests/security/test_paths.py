"""Path traversal: hostile model ids, event kinds and file names never reach outside the store."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dashboard.cli import main
from dashboard.store import Store, StoreError

HOSTILE_IDS = ["..", "../etc", "../../../../etc/passwd", "a/../../b", "/etc/passwd", "a/b", "..\\..\\x",
               "model\x00.txt", "%2e%2e%2fetc", ".hidden", "x" * 65, "", " ", "~/x", "a\nb"]


def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize("model_id", HOSTILE_IDS)
def test_store_refuses_hostile_model_ids(empty_store: Store, model_id: str) -> None:
    for call in (empty_store.read_artifact, empty_store.read_reference, empty_store.feature_bins,
                 empty_store.prediction_files):
        with pytest.raises(ValueError, match="not allowed"):
            call(model_id)
    with pytest.raises(StoreError, match="not registered"):
        empty_store.load_card(model_id)


@pytest.mark.parametrize("kind", ["../audit", "..", "a/b", "/tmp/x", ""])
def test_event_kinds_cannot_escape(empty_store: Store, kind: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        empty_store.append_event(kind, {"x": 1})
    with pytest.raises(ValueError, match="not allowed"):
        empty_store.read_events(kind)


@pytest.mark.parametrize("argv", [
    ["promote", "../../etc", "--rationale", "x"],
    ["report", "drift", "--model", "../../../etc/passwd"],
    ["report", "performance", "--model", "../x"],
    ["policy", "show", "--model", "/etc/passwd"],
])
def test_cli_refuses_hostile_model_ids(store_copy: Store, tmp_path: Path, argv: list[str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path.parent
    before = _tree(outside) - _tree(store_copy.root)
    code = main(["--store", str(store_copy.root), *argv])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err and err.strip()
    assert (_tree(outside) - _tree(store_copy.root)) == before  # nothing written outside the store


@pytest.mark.parametrize("card_id", ["../../evil", "/tmp/evil", "a/b"])
def test_register_model_refuses_a_card_id_that_is_a_path(store_copy: Store, small_portfolio_dir: Path,
                                                         tmp_path: Path, card_id: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    card = yaml.safe_load((small_portfolio_dir / "models" / "gbm_champion" / "card.yaml").read_text())
    card["id"] = card_id
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump(card))
    assert main(["--store", str(store_copy.root), "register-model", str(path)]) == 2
    assert "nothing was registered" in capsys.readouterr().err
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()
    assert set(store_copy.list_cards()) == {"gbm_champion", "logit_scorecard", "hgb_challenger"}


def test_hostile_file_name_is_quarantined_inside_the_store(store_copy: Store, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    name = "..%2f..%2fevil;rm -rf ~;$(touch pwned).csv"
    path = tmp_path / name
    path.write_bytes(b"\x00\x01garbage")
    assert main(["--store", str(store_copy.root), "ingest", "predictions", str(path)]) == 1
    copies = list((store_copy.root / "quarantine").rglob("original-*"))
    assert len(copies) == 1 and copies[0].resolve().is_relative_to(store_copy.root.resolve())
    assert "/" not in copies[0].name[len("original-"):] and "$" not in copies[0].name
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
