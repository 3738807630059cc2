"""Drift queries on real stores; the documented drifts of the demo sample are found on time."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.binning import assign_feature_bins, compute_feature_histogram
from dashboard.analytics.drift import compute_drift_report
from dashboard.analytics.drift_history import compute_psi_by_period
from dashboard.analytics.drift_thresholds import SHIFTED, STABLE
from dashboard.services.drift import (
    load_drift_inputs,
    load_reference_profile,
    load_stored_model,
    sample_reference_rows,
)
from dashboard.store import Store
from dashboard.store.drift import (
    load_feature_histograms_by_period,
    load_window_feature_histograms,
    log_date_range,
    sample_window_rows,
)

MODEL = "gbm_champion"


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    return start, (pd.Timestamp(start) + pd.offsets.MonthEnd(1)).date()


def test_window_histograms_equal_raw_rows(small_store: Store) -> None:
    lo, hi = log_date_range(small_store, MODEL)
    window = (lo, lo + dt.timedelta(days=40))
    hist = load_window_feature_histograms(small_store, MODEL, *window)
    bins = small_store.feature_bins(MODEL)
    names = small_store.load_card(MODEL).feature_names  # numeric and categorical, with missing values
    raw = sample_window_rows(small_store, MODEL, *window, rows=50_000, columns=names)
    for name in names:
        idx = assign_feature_bins(raw[name], bins[name])
        v, n = np.unique(idx, return_counts=True)
        got = hist[hist["feature"] == name].groupby("bin")["n"].sum()
        assert dict(zip(v.tolist(), n.tolist(), strict=True)) == {int(k): int(c) for k, c in got.items()}
        # The sub-bins and summed positions too: what the pure function gives on the raw rows.
        cells = hist[hist["feature"] == name][["bin", "sub", "n", "pos_sum"]].astype("int64").reset_index(drop=True)
        expected = compute_feature_histogram(raw[name], bins[name]).astype("int64")
        pd.testing.assert_frame_equal(cells, expected[["bin", "sub", "n", "pos_sum"]])


def test_samples_are_bounded_and_carry_labels(small_store: Store) -> None:
    lo, hi = log_date_range(small_store, MODEL)
    cols = small_store.load_card(MODEL).feature_names
    sample = sample_window_rows(small_store, MODEL, lo, hi, 500, cols)
    assert len(sample) == 500 and list(sample.columns) == [*cols, "score", "label"]
    assert sample["label"].notna().any()
    ref = sample_reference_rows(small_store, MODEL, 300, cols)
    assert len(ref) == 300 and ref["score"].between(0, 1).all()
    nothing = sample_window_rows(small_store, MODEL, dt.date(1990, 1, 1), dt.date(1990, 2, 1), 100, cols)
    assert nothing.empty


def test_reference_profile_is_cached_and_histograms_whole_reference(small_store: Store) -> None:
    profile = load_reference_profile(small_store, MODEL)
    assert profile is not None and profile.scores is not None
    assert load_reference_profile(small_store, MODEL) is profile
    per_feature = profile.features.groupby("feature")["n"].sum()
    assert (per_feature == profile.rows).all()


def test_stored_model_is_loaded_once_even_from_two_threads(small_store: Store) -> None:
    # The drift page asks for the model from two threads at once (reference scores, importance).
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: load_stored_model(small_store, MODEL), range(2))
    assert first is not None and first is second
    assert load_stored_model(small_store, MODEL) is first
    assert hasattr(first, "predict_proba")


def test_window_against_itself_flags_nothing(small_store: Store) -> None:
    lo, hi = log_date_range(small_store, MODEL)
    window = (lo, hi)
    report = compute_drift_report(load_drift_inputs(small_store, MODEL, window, window))
    assert (report.features["status"] == STABLE).all()
    assert report.score["psi"] == pytest.approx(0.0, abs=1e-9)
    assert not report.concept["relation_changed"] and not report.drifted


def test_window_with_no_data_gives_empty_histograms(small_store: Store) -> None:
    window = (dt.date(1990, 1, 1), dt.date(1990, 1, 31))
    inputs = load_drift_inputs(small_store, MODEL, None, window)
    assert inputs.cur_features.empty and inputs.cur_scores.empty
    report = compute_drift_report(inputs)
    assert set(report.features["note"]) == {"not present in the current window"}


def test_demo_drifts_detected_in_the_month_they_begin(demo_store: Store) -> None:
    """data/sample: data drift from 2026-02, concept drift from 2026-04 (data/sample/README.md)."""
    card = demo_store.load_card(MODEL)
    features = [(f.name, f.type) for f in card.features]
    profile = load_reference_profile(demo_store, MODEL)
    assert profile is not None
    monthly = load_feature_histograms_by_period(demo_store, MODEL, "month")
    psi = compute_psi_by_period(profile.features, monthly, demo_store.feature_bins(MODEL), features)
    worst = psi.groupby("period")["psi"].max()
    flagged = worst[worst > 0.25]
    assert str(flagged.index.min())[:7] == "2026-02"
    assert (worst[worst.index < pd.Timestamp("2026-02-01")] < 0.1).all()

    for month, data, concept in (((2026, 1), False, False), ((2026, 2), True, False), ((2026, 3), True, False),
                                 ((2026, 4), True, True)):
        report = compute_drift_report(load_drift_inputs(demo_store, MODEL, None, _month(*month)))
        shifted = bool((report.features["status"] == SHIFTED).any())
        assert shifted is data, month
        assert report.concept["relation_changed"] is concept, month
    assert report.concept["since_relation"] == "2026-04"
    assert report.recommendation.verdict == "both" and report.recommendation.action == "retrain"
    series = report.concept["series"]
    assert str(series.loc[series["relation_changed"], "period"].min())[:7] == "2026-04"
