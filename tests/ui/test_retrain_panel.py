"""The retrain button on Challengers: runs the service, shows progress and the result; the new
challenger's backfilled scores are labelled as such on the comparison, with calibration."""

from __future__ import annotations

import shutil
from pathlib import Path

from dashboard.store import Store
from tests.support.apptest import errors, open_page


def test_retrain_from_challengers_registers_backfills_and_labels(small_store_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    shutil.copytree(small_store_dir, root)
    at = open_page(root, "data_scientist", "challengers")
    assert errors(at) == []
    assert any(e.label == "Retrain a challenger on matured loans" for e in at.expander)
    at.text_input(key="retrain_id_challengers").input("ui_rt")
    [b for b in at.button if b.label == "Retrain and backfill"][0].click().run()
    assert errors(at) == []
    assert any("Registered challenger ui_rt" in s.value for s in at.success)
    store = Store(root)
    assert store.load_card("ui_rt").extra["lineage"]["source_model"] == "gbm_champion"
    audit = store.read_events("audit", lambda e: e.get("action") == "retrain")
    assert [(e["actor"], e["role"], e["model_id"]) for e in audit] == [("local:data_scientist", "data_scientist",
                                                                        "ui_rt")]
    # Picked on the comparison, the new model is named as backfilled and shown with its calibration.
    at.multiselect(key="chal_models").select("ui_rt").run()
    assert errors(at) == []
    warnings = " ".join(w.value for w in at.warning)
    assert "ui_rt: backfilled figures." in warnings
    calibration = at.dataframe[-1].value
    assert "ui_rt (backfilled)" in list(calibration["model"])
    assert calibration["realized / expected"].str.match(r"\d\.\d{3} \(\d\.\d{3} to \d\.\d{3}\)").all()


def test_drift_shows_the_panel_to_data_scientists_and_admins(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "drift")
    assert errors(at) == []
    assert any(e.label == "Retrain a challenger on matured loans" for e in at.expander)
    assert any(b.label == "Retrain and backfill" for b in at.button)
    at = open_page(small_store_dir, "admin", "drift")
    assert any(b.label == "Retrain and backfill" for b in at.button)
