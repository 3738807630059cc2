"""Metrics from binned counts agree with scikit-learn and scipy on the raw rows."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance
from sklearn.metrics import roc_auc_score

from dashboard.analytics.binning import SCORE_BINS, score_bin
from dashboard.analytics.histogram import (
    auc_from_histogram,
    decile_psi,
    js_distance,
    ks_from_histogram,
    psi,
    wasserstein_from_histograms,
)


def _data(n: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(int)
    score = np.clip(rng.beta(2, 8, n) + 0.15 * y, 0, 1)
    return score, y


def _hist(score: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = score_bin(score)
    return (np.bincount(b[y == 0], minlength=SCORE_BINS), np.bincount(b[y == 1], minlength=SCORE_BINS))


def test_auc_and_ks_from_1000_bins_match_exact() -> None:
    score, y = _data()
    goods, bads = _hist(score, y)
    auc = auc_from_histogram(goods, bads)
    assert auc is not None and abs(auc - roc_auc_score(y, score)) < 0.002
    ks = ks_from_histogram(goods, bads)
    exact = ks_2samp(score[y == 1], score[y == 0]).statistic
    assert ks is not None and abs(ks - exact) < 0.002


def test_auc_is_exact_when_scores_are_bin_values() -> None:
    rng = np.random.default_rng(2)
    score = rng.integers(0, SCORE_BINS, 5000) / SCORE_BINS
    y = (rng.random(5000) < score).astype(int)
    goods, bads = _hist(score, y)
    assert abs((auc_from_histogram(goods, bads) or 0) - roc_auc_score(y, score)) < 1e-12


def test_no_positives_gives_none() -> None:
    assert auc_from_histogram(np.ones(10), np.zeros(10)) is None
    assert psi(np.zeros(3), np.ones(3)) is None


def test_psi_js_wasserstein_against_direct_formulas() -> None:
    ref = np.array([100, 200, 300, 400.0])
    cur = np.array([150, 150, 350, 350.0])
    pr, pc = ref / ref.sum(), cur / cur.sum()
    assert abs((psi(ref, cur) or 0) - np.sum((pc - pr) * np.log(pc / pr))) < 1e-12
    assert abs((js_distance(ref, cur) or 0) - jensenshannon(pr, pc, base=2)) < 1e-12
    centers = np.array([1.0, 2.0, 3.0, 4.0])
    assert abs((wasserstein_from_histograms(centers, ref, cur) or 0)
               - wasserstein_distance(centers, centers, ref, cur)) < 1e-12


def test_identical_windows_have_zero_drift() -> None:
    counts = np.array([5, 10, 20, 0, 7.0])
    assert psi(counts, counts) == 0 and js_distance(counts, counts) == 0
    assert decile_psi(counts, counts) == 0


def test_decile_psi_groups_reference_into_tenths() -> None:
    score, _ = _data(20_000, 1)
    ref = np.bincount(score_bin(score), minlength=SCORE_BINS)
    shifted, _ = _data(20_000, 2)
    cur = np.bincount(score_bin(np.clip(shifted + 0.05, 0, 1)), minlength=SCORE_BINS)
    value = decile_psi(ref, cur)
    # direct PSI on reference deciles of the raw scores
    edges = np.quantile(score, np.linspace(0, 1, 11)[1:-1])
    r = np.bincount(np.searchsorted(edges, score, "right"), minlength=10) / len(score)
    c = np.bincount(np.searchsorted(edges, np.clip(shifted + 0.05, 0, 1), "right"), minlength=10) / len(shifted)
    direct = float(np.sum((c - r) * np.log(c / r)))
    assert value is not None and abs(value - direct) < 0.02
