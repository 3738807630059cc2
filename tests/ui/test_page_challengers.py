"""The Challengers page as a data scientist: comparison sections, promotion with a rationale."""

from __future__ import annotations

import shutil
from pathlib import Path

from dashboard.store import Store
from dashboard.store.registry import champion_id
from dashboard.ui.navigation import can_open
from tests.ui.apptest import errors, open_page


def test_compare_sections_render_with_figures(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "challengers")
    assert errors(at) == []
    assert at.title[0].value == "Challengers"
    captions = " ".join(c.value for c in at.caption)
    assert "Champion now: **gbm_champion**" in captions
    assert "applications the champion approved" in captions
    assert "Every one of the champion's" in captions and "Paired overlap: hgb_challenger scored" in captions
    assert not at.warning
    metrics = at.dataframe[0].value
    assert list(metrics["model"]) == ["gbm_champion", "hgb_challenger", "logit_scorecard"]
    assert metrics["AUC"].str.match(r"0\.\d{4} \(0\.\d{4} to 0\.\d{4}\)").all()
    for section, expect in (("Profit and fairness", "lowest ratio"), ("Swap set", "realized_money"),
                            ("Stability", None)):
        at.segmented_control(key="chal_section").set_value(section).run()
        assert errors(at) == []
        if expect:
            assert any(expect in df.value.columns for df in at.dataframe)
    at.segmented_control(key="chal_section").set_value("Swap set").run()
    assert any(m.label.startswith("Money difference") for m in at.metric)


def test_rollups_before_the_shadow_sample_warn_and_still_compare(small_store_dir: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    shutil.copytree(small_store_dir, store_dir)
    shutil.rmtree(store_dir / "rollups" / "shadow", ignore_errors=True)
    at = open_page(store_dir, "data_scientist", "challengers")
    assert errors(at) == []
    assert any("dashboard rollup rebuild" in w.value for w in at.warning)
    assert at.dataframe[0].value["AUC"].str.match(r"0\.\d{4} \(").all()


def test_no_overlap_window_gives_a_message(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "data_scientist", "challengers")
    at.multiselect(key="chal_models").set_value([]).run()
    assert errors(at) == []
    assert any("Pick at least one challenger" in i.value for i in at.info)


def test_promote_requires_rationale_then_records(small_store_dir: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    shutil.copytree(small_store_dir, store_dir)
    at = open_page(store_dir, "data_scientist", "challengers")
    at.selectbox(key="promote_model").set_value("logit_scorecard")
    submit = [b for b in at.button if b.label == "Promote to champion"][0]
    submit.click().run()
    assert errors(at) == []
    assert any("rationale is required" in w.value for w in at.warning)
    assert champion_id(Store(store_dir)) == "gbm_champion"
    at.text_area(key="promote_rationale").input("Same AUC within the intervals and readable points")
    [b for b in at.button if b.label == "Promote to champion"][0].click().run()
    assert errors(at) == []
    assert any("logit_scorecard is now the champion" in s.value for s in at.success)
    assert champion_id(Store(store_dir)) == "logit_scorecard"
    assert any("Champion now: **logit_scorecard**" in c.value for c in at.caption)


def test_page_is_for_data_scientists_and_admins_only() -> None:
    assert not can_open("executive", "challengers") and not can_open("credit_officer", "challengers")
    assert can_open("admin", "challengers") and can_open("data_scientist", "challengers")
