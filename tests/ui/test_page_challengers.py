"""The Challengers page as a data scientist: comparison sections, promotion with a rationale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.store import Store
from dashboard.store.registry import champion_id
from dashboard.ui.navigation import can_open
from tests.support.apptest import errors, open_page


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
    # Each challenger is judged on its paired difference from the champion, one row per metric.
    diffs = at.dataframe[1].value
    assert list(diffs.columns) == ["challenger", "metric", "champion", "challenger value", "difference",
                                   "95% interval", "verdict"]
    assert list(diffs["challenger"]) == ["hgb_challenger"] * 4 + ["logit_scorecard"] * 4
    assert list(diffs["metric"]) == ["AUC", "KS", "Gini", "Brier"] * 2
    for row in diffs.itertuples(index=False):
        lo, hi = (float(v) for v in row[5].split(" to "))
        assert lo <= float(row.difference) <= hi
        assert float(row.difference) == pytest.approx(float(row[3]) - float(row.champion), abs=1.5e-4)
        assert row.verdict == ("no evidence of a difference" if lo <= 0 <= hi else
                               f"{row.challenger if (lo > 0) != (row.metric == 'Brier') else 'gbm_champion'} is better")
    shown = metrics.set_index("model")
    assert diffs["champion"].iloc[0] == shown.loc["gbm_champion", "AUC"][:6]
    assert any("Each challenger minus the champion gbm_champion" in m.value for m in at.markdown)
    captions = " ".join(c.value for c in at.caption)
    assert "DeLong's test" in captions and "paired bootstrap" in captions and "no evidence of a difference" in captions
    assert "not from whether these intervals overlap" in captions
    at.segmented_control(key="chal_section").set_value("Explainability").run()
    assert errors(at) == []
    sentences = [m.value for m in at.markdown if m.value.startswith("- ")]
    auc = diffs[diffs["metric"] == "AUC"].set_index("challenger")
    for challenger in ("hgb_challenger", "logit_scorecard"):
        line = next(s for s in sentences if s.startswith(f"- {challenger}: AUC"))
        lo, hi = (float(v) for v in auc.loc[challenger, "95% interval"].split(" to "))
        assert f"paired 95% interval {lo:+.3f} to {hi:+.3f}: {auc.loc[challenger, 'verdict']}" in line
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


def test_the_server_warm_up_computes_the_first_view(small_store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from dashboard.ui import challengers

    st.cache_data.clear()
    challengers.warm_default_comparison(str(small_store_dir))

    def not_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the page computed the comparison the warm-up had computed")

    monkeypatch.setattr(challengers, "load_comparison", not_again)
    at = open_page(small_store_dir, "data_scientist", "challengers")
    assert errors(at) == []
    assert list(at.dataframe[0].value["model"]) == ["gbm_champion", "hgb_challenger", "logit_scorecard"]
