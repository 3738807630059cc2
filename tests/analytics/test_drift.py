"""Drift statistics from histograms against direct computations on raw rows."""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from dashboard.analytics.binning import (
    assign_feature_bins,
    compute_feature_histogram,
    compute_reference_bins,
)
from dashboard.analytics.concept_drift import compute_calibration_by_period
from dashboard.analytics.drift import DriftInputs, compute_drift_report, validate_windows
from dashboard.analytics.drift_history import compute_psi_by_period, decile_groups
from dashboard.analytics.drift_thresholds import SHIFTED, STABLE, WATCH, psi_status
from dashboard.analytics.drift_verdict import compute_recommendation
from dashboard.analytics.feature_drift import (
    chi_square,
    compute_feature_drift,
    compute_feature_overlay,
    ks_from_counts,
)
from dashboard.analytics.histogram import PSI_EPS, decile_psi
from dashboard.analytics.score_drift import score_histogram_from_values
from dashboard.models.card import FeatureSpec, ModelCard

FEATURES = (("x", "numeric"), ("c", "categorical"))


def _card() -> ModelCard:
    return ModelCard(id="m", name="m", version="1", role="champion", algorithm="a", owner="o", training={},
                     target="t", features=(FeatureSpec("x", "numeric"), FeatureSpec("c", "categorical",
                                                                                    categories=("a", "b", "c"))))


def _frame(rng: np.random.Generator, n: int, shift: float = 0.0, p: tuple[float, ...] = (0.5, 0.3, 0.2)) -> pd.DataFrame:
    return pd.DataFrame({"x": rng.lognormal(10 + shift, 0.6, n), "c": rng.choice(["a", "b", "c"], n, p=p)})


def _hist(frame: pd.DataFrame, bins: dict) -> pd.DataFrame:
    """What the features rollup holds for these rows: per feature, bin and sub-bin, the rows and
    their summed positions."""
    return pd.concat([compute_feature_histogram(frame[name], bins[name]).assign(feature=name)
                      for name in ("x", "c")], ignore_index=True)


def _old_hist(frame: pd.DataFrame, bins: dict) -> pd.DataFrame:
    """What a features rollup written before held: rows per bin only."""
    parts = []
    for name in ("x", "c"):
        v, n = np.unique(assign_feature_bins(frame[name], bins[name]), return_counts=True)
        parts.append(pd.DataFrame({"feature": name, "bin": v, "n": n}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def windows() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    rng = np.random.default_rng(3)
    ref = _frame(rng, 20_000)
    cur = _frame(rng, 15_000, shift=0.15, p=(0.4, 0.3, 0.3))
    cur.loc[cur.sample(frac=0.05, random_state=1).index, "x"] = np.nan
    return ref, cur, compute_reference_bins(ref, _card())


def _direct_psi(ref_vals: np.ndarray, cur_vals: np.ndarray, edges: np.ndarray) -> float:
    """PSI computed on raw rows with the reference deciles' group edges."""
    r = np.histogram(ref_vals, edges)[0].astype(float)
    c = np.histogram(cur_vals, edges)[0].astype(float)
    pr = np.maximum(r / r.sum(), PSI_EPS)
    pc = np.maximum(c / c.sum(), PSI_EPS)
    pr, pc = pr / pr.sum(), pc / pc.sum()
    return float(np.sum((pc - pr) * np.log(pc / pr)))


def test_psi_js_ks_chi2_match_direct_computation(windows) -> None:
    ref, cur, bins = windows
    table = compute_feature_drift(_hist(ref, bins), _hist(cur, bins), bins, FEATURES).set_index("feature")
    x_ref, x_cur = ref["x"].dropna().to_numpy(), cur["x"].dropna().to_numpy()
    # The same bins on raw rows: fine bins -> decile groups (edges at the group boundaries).
    edges = np.asarray(bins["x"]["edges"])
    fine_ref = np.bincount(np.searchsorted(edges, x_ref, "right"), minlength=edges.size + 1)
    groups = decile_groups(fine_ref)
    bounds = [edges[i - 1] for i in range(1, groups.size) if groups[i] != groups[i - 1]]
    group_edges = np.concatenate([[-np.inf], bounds, [np.inf]])
    # np.histogram bins are [a, b) like searchsorted 'right' except the last; no value equals inf.
    assert table.loc["x", "psi"] == pytest.approx(_direct_psi(x_ref, x_cur, group_edges), rel=1e-9)
    fine_cur = np.bincount(np.searchsorted(edges, x_cur, "right"), minlength=edges.size + 1)
    assert table.loc["x", "js"] == pytest.approx(jensenshannon(fine_ref / fine_ref.sum(), fine_cur / fine_cur.sum(),
                                                               base=2), rel=1e-9)
    exact = stats.ks_2samp(x_ref, x_cur).statistic
    resolution = max(fine_ref.max() / fine_ref.sum(), fine_cur.max() / fine_cur.sum())
    assert abs(table.loc["x", "ks"] - exact) <= resolution
    assert table.loc["x", "ks"] <= exact + 1e-12  # binning can only hide a gap, never create one
    cats = ["a", "b", "c"]
    counts = np.array([[np.sum(ref["c"] == k) for k in cats], [np.sum(cur["c"] == k) for k in cats]])
    expected = stats.chi2_contingency(counts, correction=False)
    assert table.loc["c", "chi2"] == pytest.approx(expected.statistic)
    assert table.loc["c", "chi2_pvalue"] == pytest.approx(expected.pvalue)
    # Same bins on raw rows: the categories plus the (empty) "unseen" bin, floored at PSI_EPS.
    pr, pc = (np.maximum(np.append(row, 0) / row.sum(), PSI_EPS) for row in counts)
    pr, pc = pr / pr.sum(), pc / pc.sum()
    assert table.loc["c", "psi"] == pytest.approx(float(np.sum((pc - pr) * np.log(pc / pr))), rel=1e-9)
    assert table.loc["x", "missing_cur"] == pytest.approx(cur["x"].isna().mean())
    assert table.loc["x", "missing_change"] == pytest.approx(cur["x"].isna().mean())
    assert table.loc["x", "status"] in (WATCH, SHIFTED)


def test_wasserstein_close_to_scipy_on_raw_rows(windows) -> None:
    ref, cur, bins = windows
    table = compute_feature_drift(_hist(ref, bins), _hist(cur, bins), bins, FEATURES).set_index("feature")
    exact = stats.wasserstein_distance(ref["x"].dropna(), cur["x"].dropna())
    assert table.loc["x", "wasserstein"] == pytest.approx(exact, rel=0.05)
    assert table.loc["x", "wasserstein_estimate"] == "bin positions"
    ref_x = ref["x"].dropna()
    assert table.loc["x", "wasserstein_norm"] == pytest.approx(exact / ref_x.std(ddof=0), rel=0.05)


_DISTRIBUTIONS = {
    "lognormal sigma 1.5": lambda rng, n, shift: rng.lognormal(np.log(5_000) + shift, 1.5, n),
    "Pareto alpha 1.5": lambda rng, n, shift: (rng.pareto(1.5, n) + 1) * 1_000 * (1 + shift),
    "Pareto alpha 1.1": lambda rng, n, shift: (rng.pareto(1.1, n) + 1) * 1_000 * (1 + shift),
    "normal": lambda rng, n, shift: rng.normal(50 + 10 * shift, 10, n),
    "whole years": lambda rng, n, shift: np.round(rng.normal(40 + 10 * shift, 12, n)),
    "zero or lognormal": lambda rng, n, shift: np.where(rng.random(n) < 0.4 + shift / 3, 0.0,
                                                        rng.lognormal(8, 1, n)),
    "negative heavy tail": lambda rng, n, shift: -rng.lognormal(3 + shift, 1.2, n),
}


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.3])
@pytest.mark.parametrize(("name", "sizes"), [(d, s) for d in _DISTRIBUTIONS for s in ((20_000, 8_000), (600, 400))])
def test_wasserstein_within_5_percent_of_scipy_heavy_tails_and_noise(name: str, sizes: tuple[int, int],
                                                                     shift: float) -> None:
    """Shifted or not (then the distance is sampling noise alone), small or large windows, values beyond
    the reference's range: within 5% of scipy on the raw rows."""
    rng = np.random.default_rng(zlib.crc32(repr((name, sizes, shift)).encode()))
    draw = _DISTRIBUTIONS[name]
    ref = pd.DataFrame({"x": draw(rng, sizes[0], 0.0), "c": "a"})
    cur = pd.DataFrame({"x": draw(rng, sizes[1], shift), "c": "a"})
    bins = compute_reference_bins(ref, _card())
    table = compute_feature_drift(_hist(ref, bins), _hist(cur, bins), bins, FEATURES).set_index("feature")
    exact = stats.wasserstein_distance(ref["x"], cur["x"])
    assert table.loc["x", "wasserstein"] == pytest.approx(exact, rel=0.05)


def test_rollup_written_before_falls_back_to_bin_centers_and_says_so(windows) -> None:
    ref, cur, bins = windows
    table = compute_feature_drift(_hist(ref, bins), _old_hist(cur, bins), bins, FEATURES).set_index("feature")
    assert table.loc["x", "wasserstein_estimate"] == "bin centers"
    assert table.loc["x", "wasserstein"] > 0
    empty_s = pd.DataFrame({c: pd.Series(dtype=int) for c in ("bin", "n", "n_labelled", "n_bad")})
    inputs = DriftInputs("m", FEATURES, bins, 0.15, "ref", "cur", (dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
                         _hist(ref, bins), _old_hist(cur, bins), empty_s, empty_s,
                         _old_hist(cur, bins).assign(period=pd.Timestamp("2026-01-01")),
                         empty_s.assign(period=pd.Series(dtype="datetime64[ns]")))
    report = compute_drift_report(inputs, {"x": 1.0, "c": 1.0})
    assert any("bin centers" in m and "dashboard rollup rebuild" in m for m in report.messages)


def test_ks_pvalue_matches_scipy_asymptotic() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 20, 5000), rng.integers(0, 21, 4000)
    ra, rb = np.bincount(a, minlength=21).astype(float), np.bincount(b, minlength=21).astype(float)
    d, p = ks_from_counts(ra, rb)
    exact = stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(exact.statistic)
    assert p == pytest.approx(exact.pvalue, rel=0.05)


def test_window_against_itself_flags_nothing(windows) -> None:
    ref, _, bins = windows
    h = _hist(ref, bins)
    table = compute_feature_drift(h, h, bins, FEATURES, {"x": 1.0, "c": 1.0})
    assert (table["status"] == STABLE).all()
    assert table["psi"].max() == pytest.approx(0.0, abs=1e-12)
    assert table["ks"].dropna().max() == 0.0


def test_vectorized_period_psi_equals_decile_psi(windows) -> None:
    ref, cur, bins = windows
    rh = _hist(ref, bins)
    periods = pd.concat([_hist(ref.iloc[:5000], bins).assign(period=pd.Timestamp("2026-01-05")),
                         _hist(cur, bins).assign(period=pd.Timestamp("2026-01-12"))])
    out = compute_psi_by_period(rh, periods, bins, FEATURES).set_index(["feature", "period"])["psi"]
    direct = compute_feature_drift(rh, _hist(cur, bins), bins, FEATURES).set_index("feature")["psi"]
    assert out[("x", pd.Timestamp("2026-01-12"))] == pytest.approx(direct["x"], rel=1e-9)
    assert out[("c", pd.Timestamp("2026-01-12"))] == pytest.approx(direct["c"], rel=1e-9)
    edges = np.asarray(bins["x"]["edges"])
    fine = lambda v: np.bincount(np.searchsorted(edges, v.dropna(), "right"), minlength=edges.size + 1)  # noqa: E731
    assert out[("x", pd.Timestamp("2026-01-05"))] == pytest.approx(decile_psi(fine(ref["x"]), fine(ref["x"].iloc[:5000])))


def test_psi_status_bounds() -> None:
    assert psi_status(0.05) == STABLE
    assert psi_status(0.1) == WATCH
    assert psi_status(0.25) == WATCH
    assert psi_status(0.26) == SHIFTED
    assert psi_status(None) == STABLE


def test_bad_inputs_give_notes_not_exceptions(windows) -> None:
    ref, _, bins = windows
    rh = _hist(ref, bins)
    empty = rh.iloc[0:0]
    # Empty current window: every feature says where it is missing.
    table = compute_feature_drift(rh, empty, bins, FEATURES)
    assert set(table["note"]) == {"not present in the current window"}
    # A feature missing from one window, and one with no bins.
    only_x = rh[rh["feature"] == "x"]
    table = compute_feature_drift(rh, only_x, bins, (*FEATURES, ("y", "numeric"))).set_index("feature")
    assert table.loc["c", "note"] == "not present in the current window"
    assert "no reference bins" in table.loc["y", "note"]
    # All-null column in the current window.
    all_null = pd.concat([rh[rh["feature"] == "c"], pd.DataFrame({"feature": ["x"], "bin": [-1], "n": [500]})])
    table = compute_feature_drift(rh, all_null, bins, FEATURES).set_index("feature")
    assert table.loc["x", "note"] == "all values are missing in the current window"
    assert table.loc["x", "status"] == SHIFTED and table.loc["x", "missing_cur"] == 1.0
    # Constant column in both windows.
    const_bins = {"x": {"type": "numeric", "edges": [5.0], "min": 5.0, "max": 5.0}}
    const = pd.DataFrame({"feature": ["x"], "bin": [1], "n": [100]})
    table = compute_feature_drift(const, const, const_bins, [("x", "numeric")]).set_index("feature")
    assert table.loc["x", "status"] == STABLE and table.loc["x", "note"] == "constant in both windows"
    cat_const = pd.DataFrame({"feature": ["c"], "bin": [0], "n": [100]})
    table = compute_feature_drift(cat_const, cat_const, bins, [("c", "categorical")]).set_index("feature")
    assert table.loc["c", "chi2_pvalue"] == 1.0
    assert chi_square(np.zeros(3), np.ones(3)) == (None, None)


def test_validate_windows() -> None:
    d = dt.date
    assert validate_windows(None, (d(2026, 1, 1), d(2026, 1, 31))) == []
    assert "after the current window ends" in validate_windows((d(2026, 3, 1), d(2026, 3, 31)),
                                                               (d(2026, 1, 1), d(2026, 1, 31)))[0]
    assert "starts" in validate_windows(None, (d(2026, 2, 1), d(2026, 1, 1)))[0]
    assert "reference window starts" in validate_windows((d(2026, 2, 1), d(2026, 1, 1)),
                                                          (d(2026, 3, 1), d(2026, 3, 2)))[0]


def _scores(rng: np.random.Generator, n: int, lift: float = 1.0) -> pd.DataFrame:
    s = rng.beta(2, 12, n)
    y = (rng.random(n) < np.clip(s * lift, 0, 1)).astype(float)
    return score_histogram_from_values(s, y)


def test_calibration_drift_detected_only_when_relation_changes() -> None:
    rng = np.random.default_rng(5)
    months = [pd.Timestamp(f"2026-0{m}-01") for m in range(1, 7)]
    parts = [_scores(rng, 4000, 1.0 if m.month < 4 else 1.6).assign(period=m) for m in months]
    series = compute_calibration_by_period(pd.concat(parts), 1.0, None)
    assert list(series.loc[series["relation_changed"], "period"].dt.month) == [4, 5, 6]
    few = compute_calibration_by_period(_scores(rng, 50).assign(period=months[0]), 1.0, None)
    assert not few["judged"].iloc[0] and not few["relation_changed"].iloc[0]


def test_recommendation_rules() -> None:
    feats = pd.DataFrame({"feature": ["a", "b", "c"], "status": [SHIFTED, WATCH, STABLE],
                          "importance": [0.5, 0.3, 0.2]})
    none_concept = {"relation_changed": False, "decay": False}
    rec = compute_recommendation(feats, {"a": pd.Timestamp("2026-02-01")}, {"status": STABLE}, none_concept)
    assert rec.action == "retrain" and rec.verdict == "inputs changed"
    assert rec.reasons[0].features == ("a",) and rec.reasons[0].since == "2026-02"
    quiet = feats.assign(status=STABLE)
    rec = compute_recommendation(quiet, {}, {"status": STABLE}, none_concept)
    assert rec.action == "no action" and rec.reasons == ()
    rec = compute_recommendation(quiet, {}, {"status": STABLE},
                                 {"relation_changed": True, "decay": False, "since_relation": "2026-04",
                                  "current": {}})
    assert rec.verdict == "relation changed" and rec.reasons[0].since == "2026-04"
    minor = feats.assign(importance=[0.001, 0.5, 0.499])
    rec = compute_recommendation(minor, {}, {"status": STABLE}, none_concept)
    assert rec.action == "watch" and rec.reasons[0].rule == "data drift on minor features"


def test_report_on_empty_inputs_does_not_raise(windows) -> None:
    _, _, bins = windows
    empty_f = pd.DataFrame({"feature": pd.Series(dtype=str), "bin": pd.Series(dtype=int), "n": pd.Series(dtype=int)})
    empty_s = pd.DataFrame({c: pd.Series(dtype=int) for c in ("bin", "n", "n_labelled", "n_bad")})
    inputs = DriftInputs("m", FEATURES, bins, 0.15, "ref", "cur", (dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
                         empty_f, empty_f, empty_s, empty_s, empty_f.assign(period=pd.Series(dtype="datetime64[ns]")),
                         empty_s.assign(period=pd.Series(dtype="datetime64[ns]")))
    report = compute_drift_report(inputs)
    assert report.recommendation.action == "no action"
    assert any("cannot be judged" in m for m in report.messages)
    assert report.to_dict()["drifted"] is False


def test_feature_overlay_shares(windows) -> None:
    ref, cur, bins = windows
    rh, ch = _hist(ref, bins), _hist(cur, bins)
    ov = compute_feature_overlay(rh[rh["feature"] == "c"], ch[ch["feature"] == "c"], bins["c"])
    assert list(ov["bin"]) == ["a", "b", "c"]
    assert ov["reference"].sum() == pytest.approx(1.0)
    ov = compute_feature_overlay(rh[rh["feature"] == "x"], ch[ch["feature"] == "x"], bins["x"])
    assert ov["bin"].iloc[-1] == "(missing)" and ov["current"].iloc[-1] == pytest.approx(cur["x"].isna().mean())
