"""Threshold levers: every figure against a brute-force computation on raw rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.assumptions import AssumptionsError, BusinessAssumptions, parse_assumptions
from dashboard.analytics.backtest import (
    compute_backtest,
    compute_calibration_gap,
    compute_logged_figures,
    compute_selection_note,
    describe_sources,
)
from dashboard.analytics.binning import GROUP_SCORE_BINS, SCORE_BINS, score_bin
from dashboard.analytics.thresholds import (
    ThresholdError,
    compute_fairness,
    compute_fairness_curves,
    compute_profit_optimal,
    compute_threshold_curves,
    compute_threshold_figures,
    make_group_bins,
    make_score_bins,
)
from dashboard.store import Store
from dashboard.store.thresholds import load_threshold_bins

A = BusinessAssumptions()


def _rows(n: int = 40_000, seed: int = 3, labelled_below: float = 0.15) -> pd.DataFrame:
    """Applications like the sample: labels only for approved ones (score below the old cutoff)."""
    rng = np.random.default_rng(seed)
    score = rng.beta(2, 9, n)
    decision = np.where(score < labelled_below, "approve", "decline")
    has_label = (decision == "approve") & (rng.random(n) < 0.6)
    label = np.where(has_label, (rng.random(n) < score * 1.2).astype(float), np.nan)
    amount = np.where(has_label & (rng.random(n) < 0.8), rng.uniform(2_000, 30_000, n), np.nan)
    loss = np.where(has_label, np.where(label == 1, np.nan_to_num(amount, nan=9e3) * rng.uniform(0.2, 0.8, n), 0.0),
                    np.nan)
    loss[(label == 1) & (rng.random(n) < 0.3)] = np.nan   # defaults without a recorded loss amount
    loss[(label == 0) & (rng.random(n) < 0.5)] = np.nan   # good loans often come without one
    return pd.DataFrame({"score": score, "decision": decision, "label": label, "amount": amount, "loss": loss,
                         "sex": rng.choice(["female", "male"], n),
                         "age_band": rng.choice(["18-25", "26-45", "46+"], n, p=[0.1, 0.5, 0.4])})


def _rollup(rows: pd.DataFrame) -> pd.DataFrame:
    """The r_scores shape: per decision and 1000-bin sums of the money model's inputs."""
    lab, good, bad = rows["label"].notna(), rows["label"] == 0, rows["label"] == 1
    has_amt, has_loss = rows["amount"].notna(), rows["loss"].notna()
    cents, loss_cents = (rows["amount"].fillna(0) * 100).round(), (rows["loss"].fillna(0) * 100).round()
    frame = pd.DataFrame({
        "decision": rows["decision"], "bin": score_bin(rows["score"].to_numpy(), SCORE_BINS), "n": 1,
        "n_labelled": lab.astype(int), "n_bad": bad.astype(int), "amount_cents": cents.where(lab, 0),
        "n_amount": (lab & has_amt).astype(int), "good_amount_cents": cents.where(good, 0),
        "n_good_amount": (good & has_amt).astype(int), "loss_cents": loss_cents.where(lab, 0),
        "n_bad_loss": (bad & has_loss).astype(int), "bad_noloss_amount_cents": cents.where(bad & ~has_loss, 0),
        "n_bad_noloss_amount": (bad & ~has_loss & has_amt).astype(int)})
    return frame.groupby(["decision", "bin"], as_index=False).sum()


def _group_rollup(rows: pd.DataFrame, attributes: list[str]) -> pd.DataFrame:
    gbin = score_bin(rows["score"].to_numpy(), GROUP_SCORE_BINS)
    parts = [pd.DataFrame({"attribute": a, "grp": rows[a], "bin": gbin}).groupby(
        ["attribute", "grp", "bin"], as_index=False).size().rename(columns={"size": "n"}) for a in attributes]
    return pd.concat(parts, ignore_index=True)


def _brute(rows: pd.DataFrame, cutoff: float, lower: float, a: BusinessAssumptions) -> dict[str, float]:
    """The definitions, row by row: realized label where one exists, the score where none does."""
    s, lab = rows["score"].to_numpy(), rows["label"].to_numpy()
    weight = np.where(s < lower, 1.0, np.where(s < cutoff, a.review_approval_share, 0.0))
    labelled = ~np.isnan(lab)
    approved = weight.sum()
    realized = (weight * np.where(labelled, np.nan_to_num(lab), 0)).sum()
    estimated = (weight * np.where(labelled, 0, s)).sum()
    # The money model row by row: a loan's own amount and loss where its outcome gives them.
    exposure = np.where(np.isnan(rows["amount"].to_numpy()), a.average_amount, rows["amount"].to_numpy())
    loss = rows["loss"].to_numpy()
    loss = np.where(np.isnan(loss), np.where(lab == 1, exposure * a.loss_given_default, 0.0), loss)
    realized_loss = (weight * np.where(labelled, loss, 0.0)).sum()
    review = ((s >= lower) & (s < cutoff)).sum()
    defaults = realized + estimated
    estimated_loss = estimated * a.average_amount * a.loss_given_default
    rate = a.interest_margin * a.average_term_years
    interest = (weight * np.where(labelled, np.where(lab == 0, exposure, 0.0), 0.0)).sum() * rate \
        + (weight * np.where(labelled, 0.0, 1 - s)).sum() * a.average_amount * rate
    return {"approved": approved, "review": float(review), "labelled_approved": (weight * labelled).sum(),
            "realized_defaults": realized, "estimated_defaults": estimated, "expected_defaults": defaults,
            "realized_losses": realized_loss, "estimated_losses": estimated_loss,
            "interest_income": interest, "review_cost": review * a.cost_per_review,
            "expected_profit": interest - realized_loss - estimated_loss - review * a.cost_per_review}


def _bin_mass(rows: pd.DataFrame, points: list[float], bins: int = SCORE_BINS) -> float:
    """Rows sharing a score bin with any of the points: how far interpolation may be off."""
    b = score_bin(rows["score"].to_numpy(), bins)
    return float(sum((b == min(int(p * bins), bins - 1)).sum() for p in points))


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return _rows()


@pytest.mark.parametrize(("cutoff", "lower"), [(0.15, 0.15), (0.2371, 0.2371), (0.3, 0.12), (0.0884, 0.05),
                                               (1.0, 1.0), (0.0, 0.0)])
def test_figures_equal_brute_force_within_bin_resolution(rows: pd.DataFrame, cutoff: float, lower: float) -> None:
    bins = make_score_bins("m", _rollup(rows))
    got = compute_threshold_figures(bins, cutoff, None if lower == cutoff else lower, A)
    want = _brute(rows, cutoff, lower, A)
    edge = _bin_mass(rows, [cutoff, lower])
    half_bin = 0.5 / SCORE_BINS
    assert got.applications == len(rows)
    assert got.approved == pytest.approx(want["approved"], abs=edge + 1e-6)
    assert got.review == pytest.approx(want["review"], abs=edge + 1e-6)
    assert got.approval_rate == pytest.approx(want["approved"] / len(rows), abs=(edge + 1e-6) / len(rows))
    assert got.labelled_approved == pytest.approx(want["labelled_approved"], abs=edge + 1e-6)
    assert got.realized_defaults == pytest.approx(want["realized_defaults"], abs=edge + 1e-6)
    # Estimated defaults: the bin midpoint stands for each score (off by at most half a bin each).
    est_tol = edge + half_bin * want["approved"] + 1e-6
    assert got.estimated_defaults == pytest.approx(want["estimated_defaults"], abs=est_tol)
    assert got.expected_defaults == pytest.approx(want["expected_defaults"], abs=edge + est_tol)
    max_loss = float(np.nanmax(rows["loss"]))
    cents = 0.005 * rows["label"].notna().sum()  # rollups keep amounts in whole cents
    assert got.realized_losses == pytest.approx(want["realized_losses"], abs=edge * max_loss + cents)
    per_default = A.average_amount * A.loss_given_default
    assert got.estimated_losses == pytest.approx(want["estimated_losses"], abs=est_tol * per_default + 1e-3)
    assert got.review_cost == pytest.approx(want["review_cost"], abs=edge * A.cost_per_review + 1e-6)
    assert got.review_hours == pytest.approx(want["review"] * A.minutes_per_review / 60,
                                             abs=edge * A.minutes_per_review / 60 + 1e-6)
    interest_per = A.average_amount * A.interest_margin * A.average_term_years
    profit_tol = (2 * edge + est_tol) * interest_per + edge * max_loss + est_tol * per_default + edge * 22 + 2 * cents
    assert got.expected_profit == pytest.approx(want["expected_profit"], abs=profit_tol)
    if got.approved:
        assert got.expected_bad_rate == pytest.approx(got.expected_defaults / got.approved)


def test_on_bin_edges_counts_are_exact(rows: pd.DataFrame) -> None:
    bins = make_score_bins("m", _rollup(rows))
    for cutoff in (0.1, 0.15, 0.25, 0.5):
        got = compute_threshold_figures(bins, cutoff, None, A)
        b = score_bin(rows["score"].to_numpy())
        assert got.approved == pytest.approx(float((b < round(cutoff * SCORE_BINS)).sum()))


def test_fairness_equals_brute_force_per_group(rows: pd.DataFrame) -> None:
    groups = make_group_bins(_group_rollup(rows, ["sex", "age_band"]), ["sex", "age_band"])
    for cutoff, lower in ((0.15, None), (0.2237, 0.18)):
        table = compute_fairness(groups, cutoff, lower, A)
        lo = cutoff if lower is None else lower
        for attribute in ("sex", "age_band"):
            part = table[table["attribute"] == attribute].set_index("group")
            rates = {}
            for name, g in rows.groupby(attribute):
                s = g["score"].to_numpy()
                approved = (s < lo).sum() + A.review_approval_share * ((s >= lo) & (s < cutoff)).sum()
                rates[name] = approved / len(g)
                edge = _bin_mass(g, [cutoff, lo], GROUP_SCORE_BINS) / len(g)
                assert part.loc[name, "decided"] == len(g)
                assert part.loc[name, "approval_rate"] == pytest.approx(rates[name], abs=edge + 1e-9)
            best = max(rates.values())
            for name, rate in rates.items():
                assert part.loc[name, "adverse_impact_ratio"] == pytest.approx(rate / best, abs=0.03)
                assert part.loc[name, "four_fifths_ok"] == (part.loc[name, "adverse_impact_ratio"] >= 0.8)


def test_four_fifths_rule_is_flagged() -> None:
    frame = pd.DataFrame({"attribute": ["sex"] * 4, "grp": ["a", "a", "b", "b"], "bin": [5, 50, 5, 50],
                          "n": [90, 10, 50, 50]})
    table = compute_fairness(make_group_bins(frame, ["sex"]), 0.2, None, A).set_index("group")
    assert table.loc["a", "approval_rate"] == pytest.approx(0.9)
    assert table.loc["b", "approval_rate"] == pytest.approx(0.5)
    assert table.loc["b", "adverse_impact_ratio"] == pytest.approx(0.5 / 0.9)
    assert not table.loc["b", "four_fifths_ok"] and table.loc["a", "four_fifths_ok"]
    curves = compute_fairness_curves(make_group_bins(frame, ["sex"]), A)
    assert curves.loc[np.isclose(curves["cutoff"], 0.2), "sex"].iloc[0] == pytest.approx(0.5 / 0.9)


def test_curves_match_single_figures_and_mark_the_profit_optimum(rows: pd.DataFrame) -> None:
    bins = make_score_bins("m", _rollup(rows))
    curves = compute_threshold_curves(bins, A, review_width=0.02)
    assert len(curves) == SCORE_BINS + 1
    for cutoff in (0.15, 0.3):
        row = curves.loc[np.isclose(curves["cutoff"], cutoff)].iloc[0]
        one = compute_threshold_figures(bins, cutoff, cutoff - 0.02, A)
        assert row["expected_profit"] == pytest.approx(one.expected_profit)
        assert row["approval_rate"] == pytest.approx(one.approval_rate)
        assert row["review_hours"] == pytest.approx(one.review_hours)
    best = compute_profit_optimal(curves)
    assert best is not None
    profits = [compute_threshold_figures(bins, c, max(c - 0.02, 0.0), A).expected_profit
               for c in np.round(np.arange(0, 1.0005, 0.001), 6)]
    assert best == pytest.approx(float(np.round(np.arange(0, 1.0005, 0.001), 6)[int(np.argmax(profits))]))
    # Break-even: a good loan earns margin x term, a bad one loses LGD; the optimum sits near it.
    margin = A.interest_margin * A.average_term_years
    assert abs(best - margin / (margin + A.loss_given_default)) < 0.08
    assert (np.diff(curves["approval_rate"].to_numpy()) >= -1e-12).all()


def test_bad_input_gives_clear_messages(rows: pd.DataFrame) -> None:
    bins = make_score_bins("m", _rollup(rows))
    with pytest.raises(ThresholdError, match="lower edge 0.3 is above the cutoff 0.2"):
        compute_threshold_figures(bins, 0.2, 0.3, A)
    with pytest.raises(ThresholdError, match="cutoff must be between 0 and 1"):
        compute_threshold_figures(bins, 1.2, None, A)
    with pytest.raises(ThresholdError, match="cutoff must be between 0 and 1"):
        compute_threshold_figures(bins, -0.1, None, A)
    with pytest.raises(ThresholdError, match="must not be negative: cost_per_review = -3"):
        compute_threshold_figures(bins, 0.2, None, BusinessAssumptions(cost_per_review=-3.0))
    with pytest.raises(AssumptionsError, match=r"\[review\] cost_per_review must not be negative"):
        parse_assumptions({}, overrides={"cost_per_review": -3})
    with pytest.raises(ThresholdError, match="no applications scored by empty"):
        compute_threshold_figures(make_score_bins("empty", pd.DataFrame()), 0.2, None, A)
    with pytest.raises(ThresholdError, match="width"):
        compute_threshold_curves(bins, A, review_width=-0.1)


def test_a_model_without_labels_is_all_estimated() -> None:
    rows = _rows(5_000, seed=9, labelled_below=0.0)  # nothing approved by the logged policy, no labels
    bins = make_score_bins("new", _rollup(rows))
    figures = compute_threshold_figures(bins, 0.2, None, A)
    assert figures.labelled_approved == 0 and figures.realized_defaults == 0 and figures.realized_losses == 0
    assert figures.estimated_defaults > 0
    assert figures.expected_defaults == figures.estimated_defaults
    assert "every default, loss and profit figure is estimated" in describe_sources(figures)
    assert compute_calibration_gap(bins) is None


def test_backtest_compares_logged_in_force_and_chosen(rows: pd.DataFrame) -> None:
    bins = make_score_bins("m", _rollup(rows))
    table = compute_backtest(bins, (0.2, None), (0.15, None), A).set_index("key")
    logged = compute_logged_figures(bins, A)
    assert logged is not None
    approved_logged = float((rows["decision"] == "approve").sum())
    assert table.loc["approved", "logged"] == approved_logged
    assert logged["realized_defaults"] == pytest.approx(float(np.nansum(rows["label"])))
    assert table.loc["approved", "in_force"] == pytest.approx(approved_logged, abs=_bin_mass(rows, [0.15]))
    assert table.loc["approved", "difference"] == pytest.approx(
        table.loc["approved", "chosen"] - table.loc["approved", "in_force"])
    brute = _brute(rows, 0.2, 0.2, A)
    assert table.loc["expected_profit", "chosen"] == pytest.approx(brute["expected_profit"], rel=0.01)
    # Loosening only adds unlabelled applicants: realized defaults do not move, estimated ones grow.
    assert table.loc["realized_defaults", "difference"] == pytest.approx(0.0)
    assert table.loc["estimated_defaults", "difference"] > 0
    note = compute_selection_note(bins, 0.2, 0.15)
    assert "selection bias" in note and "more lenient" in note and "0% of them have a matured outcome" in note
    shadow = rows.assign(decision="none")
    assert compute_logged_figures(make_score_bins("s", _rollup(shadow)), A) is None


def test_one_slider_move_works_on_bins_whatever_the_rows() -> None:
    """100x the rows, the same arrays: a slider move's cost is bins, not rows (its time is in
    benchmarks/bench_thresholds.py, not in a timed test on a shared machine)."""
    small = make_score_bins("m", _rollup(_rows(2_000)))
    large = make_score_bins("m", _rollup(_rows(200_000)))
    for name, array in small.sums.arrays().items():
        assert array.shape == getattr(large.sums, name).shape == (4, SCORE_BINS), name
    assert len(compute_threshold_curves(small, A, 0.05)) == len(compute_threshold_curves(large, A, 0.05))


def test_store_bins_equal_raw_rows(small_store: Store) -> None:
    """The store's per-bin arrays hold exactly what the raw log and outcomes say."""
    files = small_store.prediction_files("gbm_champion")
    source, outcomes = small_store.predictions_source(files), small_store.outcomes_source()
    raw = small_store.sql(f"""
        SELECT p.score, p.decision, p.sex, p.age_band, o.label, o.amount, o.loss FROM {source} p
        LEFT JOIN (SELECT application_id, arg_max(label, outcome_timestamp) AS label,
                          arg_max(loan_amount, outcome_timestamp) AS amount,
                          arg_max(loss_amount, outcome_timestamp) AS loss FROM {outcomes} GROUP BY 1) o
        USING (application_id)""")
    for column in ("label", "amount", "loss"):
        raw[column] = raw[column].astype(float)
    bins = load_threshold_bins(small_store, "gbm_champion")
    assert bins.scores.total == len(raw) and bins.scores.labelled == int(raw["label"].notna().sum())
    assert bins.scores.has_decisions
    card = small_store.load_card("gbm_champion")
    for cutoff, lower in ((card.cutoff, card.cutoff), (0.2437, 0.1)):
        got = compute_threshold_figures(bins.scores, cutoff, None if lower == cutoff else lower, A)
        want = _brute(raw, cutoff, lower, A)
        edge = _bin_mass(raw, [cutoff, lower])
        assert got.approved == pytest.approx(want["approved"], abs=edge + 1e-6)
        assert got.realized_defaults == pytest.approx(want["realized_defaults"], abs=edge + 1e-6)
        assert got.realized_losses == pytest.approx(want["realized_losses"],
                                                    abs=edge * 1e5 + 0.005 * raw["label"].notna().sum())
        assert got.interest_income == pytest.approx(want["interest_income"], rel=1e-3)
        assert got.estimated_defaults == pytest.approx(want["estimated_defaults"],
                                                       abs=edge + 0.0005 * want["approved"])
    assert set(bins.groups.attributes) == set(card.protected_attributes)
    table = compute_fairness(bins.groups, 0.2, None, A)
    for attribute in card.protected_attributes:
        for name, g in raw.groupby(raw[attribute].fillna("(missing)")):
            row = table[(table["attribute"] == attribute) & (table["group"] == name)].iloc[0]
            assert row["decided"] == len(g)
            assert row["approval_rate"] == pytest.approx((g["score"] < 0.2).mean(), abs=1e-9)
