"""Champion vs challengers: metrics against scikit-learn/scipy, swap set against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.special import expit
from scipy.stats import ks_2samp, norm, ttest_rel
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, precision_recall_curve, roc_auc_score, roc_curve
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.comparison import (
    SWAP_KINDS,
    compute_best_cutoffs,
    compute_comparison,
    compute_curves,
    compute_gains,
    compute_profit_curve,
    compute_psi_by_month,
    compute_swap_set,
)
from dashboard.analytics.explainability import (
    PDO,
    compute_monotonicity,
    compute_scorecard_points,
    compute_tradeoff,
    compute_tradeoff_sentences,
)
from dashboard.analytics.money import compute_loan_money
from dashboard.analytics.paired_metrics import (
    BOOTSTRAP_ROWS,
    compute_auc_difference,
    compute_bootstrap_draws,
    compute_bootstrap_intervals,
    compute_metric_table,
    compute_metrics,
    compute_paired_differences,
    judge_difference,
)
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
        lo, hi = big[name]
        assert lo < point[name] < hi
        slo, shi = small[name]
        assert hi - lo < shi - slo
    # The AUC interval is close to the usual normal approximation's width.
    lo, hi = big["auc"]
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


def test_tradeoff_sentences_state_the_gap_and_the_paired_verdict() -> None:
    metrics = pd.DataFrame({"model_id": ["a", "b", "c"], "auc": [0.75, 0.74, 0.73], "auc_lo": [0.73, 0.72, 0.71],
                            "auc_hi": [0.77, 0.76, 0.75], "auc_diff": [None, -0.01, -0.02],
                            "auc_diff_lo": [None, -0.018, -0.028], "auc_diff_hi": [None, 0.002, -0.012],
                            "auc_verdict": [None, "no evidence of a difference", "a is better"]})
    explain = pd.DataFrame({"model_id": ["a", "b", "c"], "model_type": ["GBM", "Logit", "GBM"],
                            "features": [18, 18, 18], "material_features": [8, 5, 9],
                            "monotone_ok": [10, 12, 9], "monotone_checked": [12, 12, 12],
                            "scorecard": [False, True, False]})
    lines = compute_tradeoff_sentences(compute_tradeoff(metrics, explain), "a")
    assert len(lines) == 2
    assert "AUC -0.010 against a" in lines[0] and "readable points" in lines[0] and "12 of 12" in lines[0]
    # The verdict is the paired interval's, although the per-model intervals overlap in both cases.
    assert "paired 95% interval -0.018 to +0.002: no evidence of a difference" in lines[0]
    assert "paired 95% interval -0.028 to -0.012: a is better" in lines[1]
    assert "overlap" not in " ".join(lines)


# ---------------------------------------------------------------------------- paired differences
# Two models score the same applications: given the label, each score is the label's shift plus
# noise, the two noises correlated (a binormal population). Each model's AUC is then
# Phi(shift / sqrt(2)) and its KS 2 Phi(shift / 2) - 1 exactly; Brier by numerical integration.
BAD_RATE, OFFSET = 0.3, 1.5


def _paired_sample(rng: np.random.Generator, n: int, shift_a: float, shift_b: float,
                   rho: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = (rng.random(n) < BAD_RATE).astype(int)
    noise = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=n)
    return y, expit(shift_a * y + noise[:, 0] - OFFSET), expit(shift_b * y + noise[:, 1] - OFFSET)


def _true_metrics(shift: float) -> dict[str, float]:
    auc = float(norm.cdf(shift / np.sqrt(2)))
    bad = quad(lambda e: (expit(shift + e - OFFSET) - 1) ** 2 * norm.pdf(e), -12, 12)[0]
    good = quad(lambda e: expit(e - OFFSET) ** 2 * norm.pdf(e), -12, 12)[0]
    return {"auc": auc, "gini": 2 * auc - 1, "ks": float(2 * norm.cdf(shift / 2) - 1),
            "brier": BAD_RATE * bad + (1 - BAD_RATE) * good}


def _by_metric(diffs: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    return {r.metric: (r.difference, r.lo, r.hi) for r in diffs.itertuples()}


@pytest.mark.slow
@pytest.mark.parametrize(("n", "rows"), [(600, BOOTSTRAP_ROWS), (1200, 300)])
def test_paired_interval_covers_the_true_difference_at_its_nominal_rate(n: int, rows: int) -> None:
    # rows=300 < n: the KS bootstrap's m-out-of-n path, rescaled to n, must cover as well.
    a, b = _true_metrics(1.2), _true_metrics(1.0)
    truth = {k: b[k] - a[k] for k in a}
    rng = np.random.default_rng(7)
    hits = dict.fromkeys(truth, 0)
    replications = 200
    for rep in range(replications):
        y, sa, sb = _paired_sample(rng, n, 1.2, 1.0, rho=0.6)
        scores = {"a": sa, "b": sb}
        boot = compute_bootstrap_draws(y, scores, seed=rep, rows=rows)
        for metric, (_, lo, hi) in _by_metric(compute_paired_differences(y, scores, "a", boot=boot)).items():
            hits[metric] += lo <= truth[metric] <= hi
    for metric, hit in hits.items():
        assert 0.90 <= hit / replications <= 0.99, (metric, hit / replications)


@pytest.mark.slow
def test_paired_interval_is_narrower_than_the_unpaired_comparison() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    y, sa, sb = _paired_sample(rng, n, 1.2, 1.1, rho=0.95)
    table = compute_metric_table(y, {"a": sa, "b": sb})
    paired = _by_metric(compute_paired_differences(y, {"a": sa, "b": sb}, "a"))

    def ks(yy: np.ndarray, s: np.ndarray) -> float:
        return float(ks_2samp(s[yy == 1], s[yy == 0]).statistic)

    # The unpaired comparison, in scikit-learn and scipy: each model's rows resampled on their own.
    stats = {"auc": roc_auc_score, "ks": ks, "brier": brier_score_loss}
    unpaired: dict[str, list[float]] = {k: [] for k in stats}
    for _ in range(200):
        i, j = rng.integers(0, n, n), rng.integers(0, n, n)
        for k, f in stats.items():
            unpaired[k].append(f(y[j], sb[j]) - f(y[i], sa[i]))
    for k in stats:
        lo, hi = np.quantile(unpaired[k], [0.025, 0.975])
        assert paired[k][2] - paired[k][1] < 0.6 * (hi - lo), k
    # The per-model intervals overlap, yet the paired interval of the AUC difference excludes 0.
    got = table.set_index("model_id")
    assert got.loc["b", "auc_hi"] > got.loc["a", "auc_lo"]
    assert paired["auc"][2] < 0 and got.loc["b", "auc_verdict"] == "a is better"
    assert got.loc["b", "auc_diff"] == pytest.approx(roc_auc_score(y, sb) - roc_auc_score(y, sa), abs=1e-12)
    assert got.loc["b", "brier_diff"] == pytest.approx(brier_score_loss(y, sb) - brier_score_loss(y, sa))
    assert got.loc["b", "ks_diff"] == pytest.approx(ks(y, sb) - ks(y, sa), abs=1e-12)
    assert got.loc["b", "gini_diff"] == pytest.approx(2 * got.loc["b", "auc_diff"])
    assert pd.isna(got.loc["a", "auc_diff"]) and got.loc["a", "auc_verdict"] is None


@pytest.mark.slow
def test_delong_standard_error_matches_a_paired_row_bootstrap() -> None:
    rng = np.random.default_rng(5)
    n = 2500
    y, sa, sb = _paired_sample(rng, n, 1.0, 0.9, rho=0.7)
    sa, sb = np.round(sa, 2), np.round(sb, 2)  # ties, as logged scores often have
    diff, se = compute_auc_difference(y, sa, sb)
    assert diff == pytest.approx(roc_auc_score(y, sb) - roc_auc_score(y, sa), abs=1e-12)
    draws = []
    for _ in range(1000):
        i = rng.integers(0, n, n)  # one resample of the applications for both models
        draws.append(roc_auc_score(y[i], sb[i]) - roc_auc_score(y[i], sa[i]))
    assert se == pytest.approx(np.std(draws, ddof=1), rel=0.1)


@pytest.mark.slow
def test_ks_and_brier_intervals_match_a_paired_row_bootstrap() -> None:
    rng = np.random.default_rng(9)
    n = 2000
    y, sa, sb = _paired_sample(rng, n, 1.0, 0.8, rho=0.7)
    got = _by_metric(compute_paired_differences(y, {"a": sa, "b": sb}, "a"))
    ks, brier = [], []
    for _ in range(600):
        i = rng.integers(0, n, n)
        yi, ai, bi = y[i], sa[i], sb[i]
        ks.append(ks_2samp(bi[yi == 1], bi[yi == 0]).statistic - ks_2samp(ai[yi == 1], ai[yi == 0]).statistic)
        brier.append(brier_score_loss(yi, bi) - brier_score_loss(yi, ai))
    for name, values in (("ks", ks), ("brier", brier)):
        lo, hi = np.quantile(values, [0.025, 0.975])
        _, glo, ghi = got[name]
        assert ghi - glo == pytest.approx(hi - lo, rel=0.15), name
        assert (glo + ghi) / 2 == pytest.approx((lo + hi) / 2, abs=0.15 * (hi - lo)), name


def test_identical_models_show_no_evidence_of_a_difference() -> None:
    y, s, _ = _data(2000)
    diffs = compute_paired_differences(y, {"a": s, "b": s.copy()}, "a")
    assert (diffs["difference"] == 0).all() and (diffs["lo"] <= 0).all() and (diffs["hi"] >= 0).all()
    assert set(diffs["verdict"]) == {"no evidence of a difference"}


def test_verdict_names_the_better_model_brier_lower_is_better() -> None:
    assert judge_difference("auc", 0.01, 0.03, "champ", "chal") == "chal is better"
    assert judge_difference("auc", -0.03, -0.01, "champ", "chal") == "champ is better"
    assert judge_difference("brier", 0.001, 0.003, "champ", "chal") == "champ is better"
    assert judge_difference("brier", -0.003, -0.001, "champ", "chal") == "chal is better"
    assert judge_difference("ks", -0.01, 0.02, "champ", "chal") == "no evidence of a difference"
    assert judge_difference("ks", None, None, "champ", "chal") == "n/a"


def test_one_class_leaves_rank_differences_undefined_but_brier_paired() -> None:
    y = np.zeros(300, dtype=int)
    rng = np.random.default_rng(0)
    sa, sb = rng.random(300) * 0.2, rng.random(300) * 0.3
    diffs = compute_paired_differences(y, {"a": sa, "b": sb}, "a").set_index("metric")
    for metric in ("auc", "gini", "ks"):
        assert diffs.loc[metric, ["difference", "lo", "hi"]].isna().all() and diffs.loc[metric, "verdict"] == "n/a"
    got = _by_metric(diffs.reset_index())
    t = ttest_rel((sb - y) ** 2, (sa - y) ** 2).confidence_interval()
    assert got["brier"][1:] == pytest.approx((t.low, t.high))


def test_bootstrap_interval_resolves_scores_in_a_narrow_band() -> None:
    # Every score between 0.100 and 0.105: a fixed 1/1000 grid would hold them in 5 bins.
    rng = np.random.default_rng(4)
    n = 3000
    z = rng.normal(size=n)
    y = (rng.random(n) < expit(z - 1.5)).astype(int)
    s = 0.100 + 0.005 * expit(z)
    lo, hi = compute_bootstrap_intervals(y, s)["auc"]
    draws = []
    for _ in range(800):
        i = rng.integers(0, n, n)
        draws.append(roc_auc_score(y[i], s[i]))
    blo, bhi = np.quantile(draws, [0.025, 0.975])
    assert hi - lo == pytest.approx(bhi - blo, rel=0.12)
    assert lo < roc_auc_score(y, s) < hi
