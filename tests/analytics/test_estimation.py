"""CBPE: the estimate without labels, checked against truth on synthetic data and the demo sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dashboard.analytics.binning import score_bin
from dashboard.analytics.estimation import (
    EstimationError,
    compute_expected_metrics,
    compute_validation,
    estimate_population,
    fit_calibration,
    pool_cube,
)
from dashboard.analytics.histogram import auc_standard_error
from dashboard.analytics.performance import compute_cube
from dashboard.services.performance import load_performance
from dashboard.store import Store

CONCEPT_DRIFT = pd.Timestamp("2026-04-01")


def _binned(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bins = score_bin(scores)
    n = np.bincount(bins, minlength=1000).astype(float)
    bad = np.bincount(bins, weights=labels, minlength=1000)
    return n, n - bad, bad


def test_estimate_follows_a_covariate_shift_when_calibration_holds() -> None:
    rng = np.random.default_rng(0)
    ref_s = rng.beta(2, 12, 100_000)
    _, g, b = _binned(ref_s, rng.random(len(ref_s)) < ref_s)
    calibration = fit_calibration(g, b, "synthetic reference")
    # Riskier applicants (data drift), same meaning of the score: the estimate should follow.
    cur_s = rng.beta(3, 10, 100_000)
    cur_y = rng.random(len(cur_s)) < cur_s
    n, _, _ = _binned(cur_s, cur_y)
    est = compute_expected_metrics(n, calibration, cutoff=0.2)
    assert est["expected_auc"] == pytest.approx(roc_auc_score(cur_y, cur_s), abs=0.01)
    assert est["expected_bad_rate"] == pytest.approx(cur_y.mean(), abs=0.005)
    pred = cur_s >= 0.2
    assert est["tp"] == pytest.approx((pred & cur_y).sum(), rel=0.05)
    assert est["fn"] == pytest.approx((~pred & cur_y).sum(), rel=0.05)
    assert est["tp"] + est["fp"] + est["fn"] + est["tn"] == pytest.approx(len(cur_s))


def test_estimate_cannot_see_a_concept_drift() -> None:
    rng = np.random.default_rng(1)
    s = rng.beta(2, 12, 100_000)
    _, g, b = _binned(s, rng.random(len(s)) < s)
    calibration = fit_calibration(g, b)
    # Same scores, but everyone now defaults twice as often: realized moves, the estimate does not.
    y = rng.random(len(s)) < np.minimum(2 * s, 1)
    n, _, _ = _binned(s, y)
    est = compute_expected_metrics(n, calibration)
    assert y.mean() - est["expected_bad_rate"] > 0.05


def test_calibration_needs_matured_outcomes_of_both_kinds() -> None:
    with pytest.raises(EstimationError, match="at least 50"):
        fit_calibration(np.ones(1000) * 0.01, np.zeros(1000), "2025-05 to 2025-10")


def test_calibration_is_monotone_and_uses_the_raw_score_where_nothing_was_labelled() -> None:
    rng = np.random.default_rng(2)
    s = rng.beta(2, 12, 50_000)
    s = s[s < 0.15]  # only approved loans get outcomes
    _, g, b = _binned(s, rng.random(len(s)) < s)
    cal = fit_calibration(g, b)
    assert np.all(np.diff(cal.probability) >= -1e-12)
    assert cal.last_supported_bin < 150
    assert cal.probability[900] == pytest.approx(0.9005)


def test_hanley_mcneil_standard_error_at_chance() -> None:
    # At AUC 0.5 the formula reduces to sqrt((nb + ng + 1) / (12 nb ng)).
    assert auc_standard_error(0.5, 100, 300) == pytest.approx(np.sqrt(401 / (12 * 100 * 300)))
    assert auc_standard_error(0.7, 0, 10) is None


def test_shadow_rows_count_where_their_own_cutoff_would_approve() -> None:
    frame = pd.DataFrame({"period": pd.Timestamp("2026-01-01"), "bin": [10, 100, 500],
                          "n": [5.0, 7.0, 9.0], "n_approve": 0.0, "n_decided": 0.0,
                          "n_labelled": 0.0, "n_bad": 0.0})
    pop = estimate_population(compute_cube(frame), [0.2])
    assert pop.sum() == 12 and pop[0, 500] == 0


def test_quarter_pooling_sums_months() -> None:
    frame = pd.DataFrame({"period": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-04-01"]), "bin": 5,
                          "n": [1.0, 2.0, 4.0], "n_approve": [1.0, 2.0, 4.0], "n_decided": [1.0, 2.0, 4.0],
                          "n_labelled": [1.0, 2.0, 4.0], "n_bad": [0.0, 1.0, 1.0]})
    labels, cube = pool_cube(compute_cube(frame), ["2026-Q1", "2026-Q1", "2026-Q2"])
    assert labels == ["2026-Q1", "2026-Q2"]
    assert cube.n.sum(axis=1).tolist() == [3.0, 4.0]


# ---------------------------------------------------------------------- the demo sample
@pytest.fixture(scope="module")
def champion_view(demo_store: Store):
    return load_performance(demo_store, "gbm_champion", "month")


def test_estimate_lands_within_003_auc_of_realized_before_the_concept_drift(champion_view) -> None:
    """Quarters, not months: one month holds about 200 matured bads, and the realized AUC of
    such a month moves by +/-0.04 (2 SE, Hanley-McNeil) from sampling alone, more than the
    tolerance. Pooled by quarter (430 to 730 bads) the noise is below 0.03."""
    quarters = champion_view.validation_quarter
    before = quarters[quarters["cohort"] < "2026-Q2"]
    assert len(before) == 4  # 2025-Q2 .. 2026-Q1, all before the concept drift of 2026-04
    assert (before["AUC error"].abs() <= 0.03).all(), before[["cohort", "AUC error", "noise (2 SE)"]]
    assert (before["bads"] >= 400).all()
    # Single months: the error stays inside each month's own sampling noise (or close to it).
    months = champion_view.validation_month
    pre = months[months["cohort"] < "2026-04"]
    assert (pre["AUC error"].abs() <= pre["noise (2 SE)"] + 0.01).all()


def test_estimate_misses_the_concept_drift(champion_view) -> None:
    m = champion_view.monthly
    pre = m[(m["period"] < CONCEPT_DRIFT) & (m["labelled"] >= 1000)]
    post = m[(m["period"] >= CONCEPT_DRIFT) & (m["labelled"] >= 500)]
    assert len(pre) >= 6 and len(post) >= 2
    # Realized bad rate jumps; the estimate from scores stays where the data drift left it.
    assert (post["bad_rate"] - post["expected_bad_rate"]).min() > 0.03
    assert (pre["bad_rate"] - pre["expected_bad_rate"]).abs().max() < 0.01
    last_pre_estimate = m.loc[m["period"] < CONCEPT_DRIFT, "expected_bad_rate"].iloc[-1]
    assert (post["expected_bad_rate"] - last_pre_estimate).abs().max() < 0.01


def test_demo_auc_from_rollups_within_0002_of_sklearn(demo_store: Store, champion_view) -> None:
    pred = demo_store.predictions_source(demo_store.prediction_files("gbm_champion", "2025-05-01", "2025-10-31"))
    raw = demo_store.sql(f"""
        SELECT date_trunc('month', p.date) AS period, p.score, o.label
        FROM {pred} p JOIN (SELECT application_id, arg_max(label, outcome_timestamp) AS label
                            FROM {demo_store.outcomes_source()} GROUP BY 1) o USING (application_id)
        WHERE p.decision = 'approve'""")
    for period, part in raw.groupby("period"):
        row = champion_view.monthly[champion_view.monthly["period"] == pd.Timestamp(period)].iloc[0]
        assert row["auc"] == pytest.approx(roc_auc_score(part["label"], part["score"]), abs=0.002)


def test_validation_skips_cohorts_without_enough_labels(champion_view) -> None:
    months = champion_view.validation_month
    assert (months["matured outcomes"] >= 200).all()
    assert "2026-08" not in set(months["cohort"])  # nothing matured yet


def test_validation_table_columns() -> None:
    frame = pd.DataFrame({"period": pd.Timestamp("2026-01-01"), "bin": [10, 50], "n": [100.0, 100.0],
                          "n_approve": [100.0, 100.0], "n_decided": [100.0, 100.0],
                          "n_labelled": [100.0, 100.0], "n_bad": [2.0, 10.0]})
    cube = compute_cube(frame)
    cal = fit_calibration(cube.goods[0], cube.n_bad[0])
    table = compute_validation(cube, cal, [0.5], ["2026-01"], min_labelled=10)
    assert table.loc[0, "realized bad rate"] == pytest.approx(0.06)
    assert table.loc[0, "estimated bad rate"] == pytest.approx(0.06)
