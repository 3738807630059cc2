"""Champion vs challengers: metrics against scikit-learn/scipy, swap set against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, precision_recall_curve, roc_auc_score, roc_curve
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.comparison import (
    PDO,
    SWAP_KINDS,
    compute_best_cutoffs,
    compute_bootstrap_intervals,
    compute_comparison,
    compute_curves,
    compute_gains,
    compute_metrics,
    compute_monotonicity,
    compute_profit_curve,
    compute_psi_by_month,
    compute_scorecard_points,
    compute_swap_set,
    compute_tradeoff,
    compute_tradeoff_sentences,
)
from dashboard.analytics.money import compute_loan_money
from dashboard.models.card import parse_card

ASSUME = BusinessAssumptions()


def _data(n: int = 4000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(z * 1.2 - 2)))).astype(int)
    s1 = np.round(1 / (1 + np.exp(-(z - 2))), 6)
    s2 = np.round(1 / (1 + np.exp(-(0.6 * z + rng.normal(scale=0.8, size=n) - 2))), 6)
    return y, s1, s2


def test_metrics_equal_sklearn_and_scipy() -> None:
    y, s, _ = _data()
    m = compute_metrics(y, s)
    assert m["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert m["gini"] == pytest.approx(2 * roc_auc_score(y, s) - 1, abs=1e-12)
    assert m["brier"] == pytest.approx(brier_score_loss(y, s), abs=1e-12)
    assert m["ks"] == pytest.approx(ks_2samp(s[y == 1], s[y == 0]).statistic, abs=1e-12)


def test_metrics_undefined_with_one_class_or_no_rows() -> None:
    assert compute_metrics(np.zeros(5, dtype=int), np.linspace(0, 1, 5))["auc"] is None
    assert compute_metrics(np.array([], dtype=int), np.array([]))["brier"] is None


def test_bootstrap_interval_brackets_the_point_and_narrows_with_more_rows() -> None:
    y, s, _ = _data(20_000)
    small = compute_bootstrap_intervals(y[:1000], s[:1000], seed=1)
    big = compute_bootstrap_intervals(y, s, seed=1)
    point = compute_metrics(y, s)
    for name in ("auc", "ks", "gini", "brier"):
        lo, hi = big[name]  # type: ignore[misc]
        assert lo < point[name] < hi  # type: ignore[operator]
        slo, shi = small[name]  # type: ignore[misc]
        assert hi - lo < shi - slo
    # The AUC interval is close to the usual normal approximation's width.
    lo, hi = big["auc"]  # type: ignore[misc]
    assert 0.01 < hi - lo < 0.05


def test_curves_are_sklearns_and_thinned_for_drawing() -> None:
    y, s, _ = _data()
    s = np.round(s, 3)  # ties, as binned scores have
    full = compute_curves(y, {"m": s}, points=10**6)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(full["roc"]["x"], fpr, atol=1e-12)
    np.testing.assert_allclose(full["roc"]["y"], tpr, atol=1e-12)
    precision, recall, _ = precision_recall_curve(y, s)
    np.testing.assert_allclose(full["pr"]["x"], recall, atol=1e-12)
    np.testing.assert_allclose(full["pr"]["y"], precision, atol=1e-12)
    thin = compute_curves(y, {"m": s, "n": s[::-1]}, points=50)
    assert thin["roc"].groupby("model_id").size().max() <= 50
    assert len(thin["calibration"]) == 20


def test_gains_equal_a_decile_loop() -> None:
    y, _, s = _data(1234)
    gains = compute_gains(y, {"m": s})
    order = np.argsort(-s, kind="stable")
    decile = np.arange(len(y)) * 10 // len(y)
    for d in range(10):
        part = y[order][decile == d]
        assert gains["n"].iloc[d] == len(part) and gains["bads"].iloc[d] == part.sum()


def test_gains_capture_all_bads_and_rank_riskiest_first() -> None:
    y, s, _ = _data()
    gains = compute_gains(y, {"m": s})
    assert gains["n"].sum() == len(y)
    assert gains["cum_bads_captured"].iloc[-1] == pytest.approx(1.0)
    order = np.argsort(-s, kind="stable")
    assert gains["bads"].iloc[0] == y[order][: len(y) // 10].sum()


def test_profit_curve_matches_a_direct_sum() -> None:
    rng = np.random.default_rng(0)
    score = rng.random(500)
    money = rng.normal(size=500)
    curve = compute_profit_curve(money, score, np.array([0.1, 0.5, 0.9]))
    for cutoff, profit in zip(curve["cutoff"], curve["profit"], strict=True):
        assert profit == pytest.approx(money[score < cutoff].sum())


def test_best_cutoffs_from_the_shared_sort_equal_a_fresh_sort() -> None:
    y, s1, s2 = _data(2000)
    s1, s2 = np.round(s1, 2), np.round(s2, 2)  # many ties
    money = compute_loan_money(y.astype(float), np.full(len(y), 5000.0), np.zeros(len(y)), ASSUME)
    scores = {"a": s1, "b": s2}
    orders = {m: np.argsort(-s, kind="stable") for m, s in scores.items()}
    fresh = compute_best_cutoffs(y.astype(float), money, scores)
    shared = compute_best_cutoffs(y.astype(float), money, scores, orders=orders)
    pd.testing.assert_frame_equal(fresh, shared, rtol=1e-9)
    gains = compute_gains(y, scores, orders=orders)
    pd.testing.assert_frame_equal(gains, compute_gains(y, scores))


def _frame(y: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    labelled = rng.random(len(y)) < 0.6
    return pd.DataFrame({
        "application_id": [f"A{i}" for i in range(len(y))], "date": pd.Timestamp("2026-01-01"),
        "decision": "approve", "label": pd.Series(np.where(labelled, y, np.nan), dtype="float64"),
        "loan_amount": np.where(rng.random(len(y)) < 0.1, np.nan, rng.uniform(1000, 20000, len(y))),
        "loss_amount": np.nan, "sex": rng.choice(["f", "m"], len(y)),
        "score__champ": s1, "score__chal": s2})


def test_swap_set_equals_brute_force() -> None:
    y, s1, s2 = _data(3000)
    frame = _frame(y, s1, s2)
    a, b = s1 < 0.15, s2 < 0.2
    swap = compute_swap_set(frame, "score__champ", "score__chal", a, b, ASSUME)
    expected: dict[str, list[int]] = {k: [] for k in SWAP_KINDS}
    for i in range(len(frame)):
        if a[i] and b[i]:
            expected["both approve"].append(i)
        elif not a[i] and not b[i]:
            expected["both decline"].append(i)
        elif a[i]:
            expected["only champion approves"].append(i)
        else:
            expected["only challenger approves"].append(i)
    summary = swap.summary.set_index("kind")
    for kind, idx in expected.items():
        assert summary.loc[kind, "applications"] == len(idx)
        labels = [frame["label"].iloc[i] for i in idx if pd.notna(frame["label"].iloc[i])]
        assert summary.loc[kind, "labelled"] == len(labels)
        assert summary.loc[kind, "bads"] == int(sum(labels))
    swapped_ids = {frame["application_id"].iloc[i] for k in SWAP_KINDS[2:] for i in expected[k]}
    assert set(swap.rows["application_id"]) == swapped_ids
    realized = 0.0
    for i in expected["only champion approves"]:
        lab = frame["label"].iloc[i]
        if pd.isna(lab):
            continue
        amt = frame["loan_amount"].iloc[i]
        amt = ASSUME.average_amount if np.isnan(amt) else amt
        realized += -amt * ASSUME.loss_given_default if lab == 1 else \
            amt * ASSUME.interest_margin * ASSUME.average_term_years
    assert swap.realized_part == pytest.approx(realized)
    estimated = 0.0
    for i in expected["only challenger approves"]:
        amt = frame["loan_amount"].iloc[i]
        amt = ASSUME.average_amount if np.isnan(amt) else amt
        p = s2[i]
        estimated += (1 - p) * amt * ASSUME.interest_margin * ASSUME.average_term_years - \
            p * amt * ASSUME.loss_given_default
    assert swap.estimated_part == pytest.approx(estimated)
    assert swap.money_difference == pytest.approx(estimated - realized)


def test_comparison_metrics_are_sklearn_on_labelled_shared_rows() -> None:
    y, s1, s2 = _data(3000)
    frame = _frame(y, s1, s2)
    frame.loc[:9, "score__chal"] = np.nan  # not scored in shadow: left out for every model
    comp = compute_comparison(frame, "champ", ["chal"], {"champ": 0.15, "chal": 0.2}, ASSUME, ["sex"], draws=100)
    rows = frame.iloc[10:]
    rows = rows[rows["label"].notna()]
    yy = rows["label"].to_numpy(dtype=int)
    got = comp.metrics.set_index("model_id")
    assert got.loc["champ", "auc"] == pytest.approx(roc_auc_score(yy, rows["score__champ"]))
    assert got.loc["chal", "auc"] == pytest.approx(roc_auc_score(yy, rows["score__chal"]))
    assert got.loc["chal", "brier"] == pytest.approx(brier_score_loss(yy, rows["score__chal"]))
    assert comp.applications == len(frame) - 10 and comp.labelled == len(rows)
    assert any("lack a score" in n for n in comp.notes)
    assert set(comp.fairness["attribute"]) == {"sex"}
    assert comp.swaps["chal"].summary["applications"].sum() == comp.applications


def test_comparison_without_overlap_or_labels_explains_itself() -> None:
    y, s1, s2 = _data(500)
    frame = _frame(y, s1, s2)
    frame["score__chal"] = np.nan
    frame["label"] = None
    comp = compute_comparison(frame, "champ", ["chal"], {"champ": 0.15, "chal": 0.2}, ASSUME, [], draws=50)
    assert comp.models == ["champ"]
    assert any("no shadow scores" in n for n in comp.notes)
    assert any("No outcome has matured" in n for n in comp.notes)
    assert comp.metrics["auc"].isna().all()
    assert comp.swaps == {}


CARD = parse_card({
    "id": "lin", "name": "Linear", "version": "1", "role": "challenger", "algorithm": "logit", "owner": "me",
    "training": {"data": "x"}, "target": "bad",
    "features": [{"name": "income", "type": "numeric", "direction": -1},
                 {"name": "debt", "type": "numeric", "direction": 1}]})


def _linear_model() -> tuple[Pipeline, pd.DataFrame]:
    rng = np.random.default_rng(2)
    x = pd.DataFrame({"income": rng.normal(50, 10, 3000), "debt": rng.normal(0.3, 0.1, 3000)})
    logit = -0.08 * (x["income"] - 50) + 8 * (x["debt"] - 0.3) - 2
    y = (rng.random(3000) < 1 / (1 + np.exp(-logit))).astype(int)
    return Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(x, y), x


def test_scorecard_points_are_additive_and_follow_coefficients() -> None:
    model, x = _linear_model()
    points = compute_scorecard_points(model, x, CARD)
    assert points is not None
    factor = PDO / np.log(2)
    coef = model.named_steps["model"].coef_[0] / model.named_steps["scale"].scale_
    inc = points[points["feature"] == "income"]
    values = np.quantile(x["income"], [0.05, 0.95])
    expected_gap = -factor * coef[0] * (values[1] - values[0])
    assert inc["points"].iloc[-1] - inc["points"].iloc[0] == pytest.approx(expected_gap, abs=0.2)
    assert expected_gap > 0  # more income, more points (less risk)
    # A non-linear model gets no scorecard.
    from sklearn.ensemble import GradientBoostingClassifier
    gbm = GradientBoostingClassifier(n_estimators=5).fit(x, (x["debt"] > 0.3).astype(int))
    assert compute_scorecard_points(gbm, x, CARD) is None


def test_monotonicity_flags_a_reversed_direction() -> None:
    model, x = _linear_model()
    ok = compute_monotonicity(model, x.head(300), CARD).set_index("feature")
    assert ok["consistent"].all() and (ok["observed"] == "as expected").all()
    flipped = parse_card({**CARD.to_dict(), "features": [{"name": "income", "type": "numeric", "direction": 1}]})
    bad = compute_monotonicity(model, x.head(300), flipped)
    assert bad["observed"].iloc[0] == "opposite" and not bad["consistent"].iloc[0]


def test_psi_by_month_is_zero_for_the_reference_month() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for month, shift in (("2026-01-01", 0), ("2026-02-01", 0), ("2026-03-01", 200)):
        bins = np.clip(rng.normal(300 + shift, 80, 5000).astype(int), 0, 999)
        counts = np.bincount(bins, minlength=1000)
        rows += [{"model_id": "m", "month": pd.Timestamp(month), "bin": b, "n": int(c)}
                 for b, c in enumerate(counts) if c]
    psi = compute_psi_by_month(pd.DataFrame(rows))
    assert psi["psi"].iloc[0] == pytest.approx(0.0)
    assert psi["psi"].iloc[1] < 0.05 < 0.25 < psi["psi"].iloc[2]


def test_tradeoff_sentences_state_the_gap() -> None:
    metrics = pd.DataFrame({"model_id": ["a", "b"], "auc": [0.75, 0.74], "auc_lo": [0.73, 0.72],
                            "auc_hi": [0.77, 0.76]})
    explain = pd.DataFrame({"model_id": ["a", "b"], "model_type": ["GBM", "Logit"], "features": [18, 18],
                            "material_features": [8, 5], "monotone_ok": [10, 12], "monotone_checked": [12, 12],
                            "scorecard": [False, True]})
    lines = compute_tradeoff_sentences(compute_tradeoff(metrics, explain), "a")
    assert len(lines) == 1
    assert "-0.010" in lines[0] and "overlap" in lines[0] and "readable points" in lines[0]
    assert "12 of 12" in lines[0]
