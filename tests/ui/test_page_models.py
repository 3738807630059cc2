"""The Model cards page: card fields as text, live facts, missing fields, Markdown export."""

from __future__ import annotations

from pathlib import Path

from tests.support.apptest import errors, open_page


def test_card_with_live_facts_and_export(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "executive", "models")
    assert errors(at) == []
    assert at.title[0].value == "Model cards"
    assert at.selectbox(key="card_model").value == "gbm_champion"
    labels = {m.label: m.value for m in at.metric}
    assert labels["Applications scored"] == "6,000"
    assert labels["Live AUC"].startswith("0.")
    assert "Drift (score PSI)" in labels and "Lowest adverse impact ratio" in labels
    texts = [t.value for t in at.text]
    assert any("Scoring consumer instalment loan" in t for t in texts)
    assert any(t.startswith("Version 0: decline at or above") for t in texts)
    assert any("recommended card field is filled" in s.value for s in at.success)


def test_other_model_by_query_and_missing_fields(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "models", query={"model": "logit_scorecard"})
    assert errors(at) == []
    assert at.selectbox(key="card_model").value == "logit_scorecard"
    assert any("logit_scorecard" in s.value for s in at.subheader)


def test_empty_store_says_what_to_do(tmp_path: Path) -> None:
    at = open_page(tmp_path / "nothing", "admin", "models")
    assert errors(at) == []
    assert any("No model is registered" in i.value for i in at.info)
