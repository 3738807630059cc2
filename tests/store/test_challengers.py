"""The shadow sample behind the Challengers page: from r_shadow, paired, bounded; raw logs as fallback."""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest

from dashboard.store import Store
from dashboard.store.challengers import (
    RAW_SAMPLE,
    ROLLUP_SAMPLE,
    _raw_shadow_rows,
    data_window,
    load_shadow_rows,
    score_column,
    window_applications,
)

MODELS = ["gbm_champion", "logit_scorecard", "hgb_challenger"]


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("application_id").sort_index()


def test_rollup_sample_equals_the_raw_logs_when_days_are_small(small_store: Store) -> None:
    # The fixture has far fewer than 300 applications a day: the daily sample holds them all.
    window = data_window(small_store, MODELS[0])
    assert window is not None
    start = window[0] + pd.Timedelta(days=30)
    end = window[0] + pd.Timedelta(days=200)
    shadow = load_shadow_rows(small_store, MODELS, start, end)
    assert shadow.source == ROLLUP_SAMPLE and not shadow.sampled
    total = window_applications(small_store, MODELS[0], start, end)
    assert len(shadow.frame) == total == shadow.window_applications
    raw = _raw_shadow_rows(small_store, MODELS, start, end, 10**9, ["age_band", "sex"], total)
    assert raw.source == RAW_SAMPLE
    got, want = _by_id(shadow.frame), _by_id(raw.frame)
    assert list(got.index) == list(want.index)
    for col in ["decision", "age_band", "sex", *[score_column(m) for m in MODELS]]:
        pd.testing.assert_series_equal(got[col].astype(object), want[col].astype(object), check_dtype=False,
                                       check_index_type=False, obj=col)
    for col in ("label", "loan_amount", "loss_amount"):
        pd.testing.assert_series_equal(got[col].astype("float64"), want[col].astype("float64"),
                                       check_index_type=False, obj=col)
    assert (pd.to_datetime(got["date"]).to_numpy() == pd.to_datetime(want["date"]).to_numpy()).all()
    assert shadow.protected == ["age_band", "sex"]
    assert all(shadow.overlap(m) == total for m in MODELS)


def test_daily_sample_is_bounded_and_paired(store_copy: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import dashboard.store.rollups.builders as builders

    monkeypatch.setattr(builders, "SHADOW_PER_DAY", 3)
    store_copy.rebuild_rollups()
    store = Store(store_copy.root)
    shadow = load_shadow_rows(store, MODELS)
    days = store.sql("SELECT count(DISTINCT date) AS d FROM r_daily WHERE model_id = ?", [MODELS[0]])["d"].iloc[0]
    assert shadow.source == ROLLUP_SAMPLE and shadow.sampled
    assert 0 < len(shadow.frame) <= 3 * int(days) < shadow.window_applications
    assert shadow.fraction == pytest.approx(len(shadow.frame) / shadow.window_applications)
    assert shadow.frame["application_id"].is_unique
    # Ranked by the same hash for every model: the challengers scored the champion's sampled applications.
    for m in MODELS[1:]:
        assert shadow.overlap(m) >= 0.9 * len(shadow.frame)
    # The sampled applications are the lowest-hash ones of each day.
    source = store.predictions_source(store.prediction_files(MODELS[0]))
    rows = store.sql(f"SELECT DISTINCT date, application_id FROM {source}")
    rows["md5"] = [hashlib.md5(a.encode("utf-8")).digest()[:8] for a in rows["application_id"]]
    expected = rows.sort_values(["md5", "application_id"]).groupby("date").head(3)
    assert set(shadow.frame["application_id"]) == set(expected["application_id"])
    assert shadow.frame["label"].notna().any()


def test_rollups_without_the_shadow_table_fall_back_to_raw_logs(store_copy: Store) -> None:
    shutil.rmtree(store_copy.root / "rollups" / "shadow", ignore_errors=True)
    store = Store(store_copy.root)
    shadow = load_shadow_rows(store, MODELS)
    assert shadow.source == RAW_SAMPLE
    assert len(shadow.frame) == shadow.window_applications > 0
    assert shadow.overlap("hgb_challenger") == len(shadow.frame)


def test_empty_window_gives_an_empty_frame(small_store: Store) -> None:
    day = pd.Timestamp("2001-01-01").date()
    shadow = load_shadow_rows(small_store, MODELS, day, day)
    assert shadow.frame.empty and shadow.window_applications == 0
    assert score_column("hgb_challenger") in shadow.frame


def test_an_application_scored_on_two_days_keeps_each_models_latest_score(store_copy: Store) -> None:
    source = store_copy.predictions_source(store_copy.prediction_files(None))
    first = store_copy.sql(f"SELECT * EXCLUDE (date) FROM {source} "
                           f"WHERE application_id = (SELECT min(application_id) FROM {source})")
    assert sorted(first["model_id"]) == sorted(MODELS)
    again = first.copy()
    again["prediction_id"] = again["prediction_id"] + "-again"
    again["timestamp"] = again["timestamp"] + pd.Timedelta(days=3)
    again["score"] = [0.91, 0.92, 0.93]
    store_copy.write_predictions(again)
    shadow = load_shadow_rows(Store(store_copy.root), MODELS)
    assert shadow.frame["application_id"].is_unique
    row = shadow.frame.set_index("application_id").loc[first["application_id"].iloc[0]]
    for model_id, score in zip(again["model_id"], again["score"], strict=True):
        assert row[score_column(model_id)] == pytest.approx(score)
    assert pd.Timestamp(row["date"]).date() == pd.Timestamp(again["timestamp"].max()).date()
