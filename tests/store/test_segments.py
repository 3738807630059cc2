"""The segments rollup and the figures read from it, against an independent computation on the raw
rows (pandas, scikit-learn, numpy): counts and rates exact, AUC within its stated bin bound, the
calibration ratio to the millionth, the PSI on the same 100 bins; and the rollup's size bound."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dashboard.analytics.periods import custom_period
from dashboard.models.card import parse_card
from dashboard.services.segments import SegmentError, build_segment_report
from dashboard.store import Store

N = 4_000
PRODUCTS = [f"p{i:02d}" for i in range(30)]  # 30 values: beyond the cap of 20
CARD = {"id": "m", "name": "m", "version": "1", "role": "champion", "algorithm": "a", "owner": "o",
        "training": {"data": "none"}, "target": "bad", "features": [{"name": "x", "type": "numeric"}],
        "protected_attributes": ["sex"],
        "segments": ["product", "channel", {"name": "income", "bands": [20_000, 50_000]}, "age"]}
CURRENT = (dt.date(2026, 2, 1), dt.date(2026, 3, 31))
REFERENCE = (dt.date(2025, 12, 4), dt.date(2026, 1, 31))  # the 59 days before: previous_period


def _logs() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    weights = 1.0 / np.arange(1, len(PRODUCTS) + 1)
    preds = pd.DataFrame({
        "prediction_id": [f"p{i}" for i in range(N)], "model_id": "m",
        "timestamp": pd.Timestamp("2025-12-03") + pd.to_timedelta(rng.integers(0, 119 * 24, N), unit="h"),
        "application_id": [f"a{i}" for i in range(N)], "x": rng.normal(size=N),
        "sex": rng.choice(["F", "M"], N),
        "product": rng.choice(PRODUCTS, N, p=weights / weights.sum()),
        "channel": pd.Series(rng.choice(["web", "branch", "broker"], N), dtype=object).where(rng.random(N) > 0.05),
        "income": rng.lognormal(10.4, 0.6, N).round(0), "age": rng.integers(18, 80, N).astype(float)})
    # a segment where the model is worse: its scores are noise
    noisy = preds["channel"] == "broker"
    preds["score"] = np.where(noisy, rng.beta(2, 6, N), rng.beta(2, 8, N))
    risk = np.where(noisy, rng.beta(2, 6, N), preds["score"])
    preds["decision"] = np.where(preds["score"] < 0.3, "approve", "decline")
    preds.loc[rng.random(N) < 0.03, "decision"] = None
    approved = preds[preds["decision"] == "approve"].sample(frac=0.8, random_state=1)
    labels = (rng.random(N) < risk).astype(int)
    outcomes = pd.DataFrame({"application_id": approved["application_id"].to_numpy(),
                             "outcome_timestamp": pd.Timestamp("2026-09-01"),
                             "label": labels[approved.index.to_numpy()], "loan_amount": 1_000.0,
                             "loss_amount": np.nan})
    return preds, outcomes


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("segments") / "store")
    store.register_model(parse_card(CARD))
    preds, outcomes = _logs()
    store.write_predictions(preds.assign(latency_ms=np.nan))
    store.write_outcomes(outcomes)
    return store


def _values(preds: pd.DataFrame, column: str) -> pd.Series:
    """The segment value of each raw row, written out here from the documented rules."""
    if column == "income":
        return pd.Series(np.select([preds["income"] < 20_000, preds["income"] < 50_000],
                                   ["under 20,000", "20,000 to under 50,000"], "50,000 and over"), index=preds.index)
    if column == "age":
        edges = [25, 35, 45, 55, 65]
        labels = ["under 25", "25 to under 35", "35 to under 45", "45 to under 55", "55 to under 65", "65 and over"]
        return pd.Series(np.asarray(labels)[np.searchsorted(edges, preds["age"], side="right")], index=preds.index)
    counts = preds[column].value_counts()
    kept = sorted(counts.sort_index().sort_values(ascending=False, kind="stable").index[:20])
    out = preds[column].where(preds[column].isin(kept), "(other)")
    return out.where(preds[column].notna(), "(missing)")


def _raw(window: tuple[dt.date, dt.date]) -> pd.DataFrame:
    preds, outcomes = _logs()
    rows = preds.merge(outcomes[["application_id", "label"]], on="application_id", how="left")
    day = rows["timestamp"].dt.date
    return rows[(day >= window[0]) & (day <= window[1])]


def _psi(ref: np.ndarray, cur: np.ndarray) -> float:
    r = np.histogram(ref, bins=100, range=(0, 1))[0] / len(ref)
    c = np.histogram(cur, bins=100, range=(0, 1))[0] / len(cur)
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    r, c = r / r.sum(), c / c.sum()
    return float(np.sum((c - r) * np.log(c / r)))


@pytest.mark.parametrize("column", ["product", "channel", "income", "age"])
def test_segment_figures_equal_the_raw_rows(store: Store, column: str) -> None:
    report = build_segment_report(store, "m", column, custom_period(*CURRENT))
    assert (report.reference.start, report.reference.end) == REFERENCE
    rows, ref_rows = _raw(CURRENT), _raw(REFERENCE)
    rows = rows.assign(value=_values(_logs()[0], column).loc[rows.index])
    ref_rows = ref_rows.assign(value=_values(_logs()[0], column).loc[ref_rows.index])
    figures = report.figures.set_index("value")
    assert sorted(figures.index) == sorted([*rows["value"].unique(), "(all)"])
    for value, part in [*rows.groupby("value"), ("(all)", rows)]:
        got = figures.loc[value]
        decided = part["decision"].notna()
        approved = part["decision"] == "approve"
        lab = part[part["label"].notna()]
        assert got["applications"] == len(part)
        assert got["decided"] == decided.sum() and got["approved"] == approved.sum()
        assert got["labelled"] == len(lab) and got["bads"] == lab["label"].sum()
        assert got["approval_rate"] == approved.sum() / decided.sum()
        assert got["bad_rate"] == pytest.approx(lab["label"].mean(), rel=1e-12)
        assert got["calibration_ratio"] == pytest.approx(lab["label"].sum() / lab["score"].sum(), rel=1e-5)
        assert got["approval_lo"] <= got["approval_rate"] <= got["approval_hi"]
        if lab["label"].nunique() == 2:
            exact = roc_auc_score(lab["label"], lab["score"])
            assert abs(got["auc"] - exact) <= got["auc_bound"] + 1e-12
            assert got["auc_bound"] <= 0.5  # the stated bound is a real bound, not a placeholder
            assert got["auc_lo"] <= got["auc"] <= got["auc_hi"]
        ref = ref_rows["score"] if value == "(all)" else ref_rows.loc[ref_rows["value"] == value, "score"]
        if len(ref):
            assert got["psi"] == pytest.approx(_psi(ref.to_numpy(), part["score"].to_numpy()), rel=1e-9, abs=1e-12)


def test_the_noisy_segment_ranks_first_for_auc(store: Store) -> None:
    report = build_segment_report(store, "m", "channel", custom_period(*CURRENT))
    ranking = report.failing["auc"]
    assert ranking.iloc[0]["value"] == "broker"
    assert (ranking["weighted_gap"].diff().dropna() <= 0).all()
    whole = report.figures.set_index("value").loc["(all)"]
    broker = report.figures.set_index("value").loc["broker"]
    assert ranking.iloc[0]["weighted_gap"] == pytest.approx(
        (whole["auc"] - broker["auc"]) * broker["labelled"] / whole["labelled"])


def test_rollup_size_stays_within_the_cap(store: Store) -> None:
    rows = store.sql("SELECT date, segment, count(DISTINCT value) AS values, count(*) AS n FROM r_segments GROUP BY ALL")
    assert (rows["values"] <= 22).all() and (rows["n"] <= 22 * 100).all()
    product = store.sql("SELECT DISTINCT value FROM r_segments WHERE segment = 'product'")["value"]
    assert len(product) == 21 and "(other)" in set(product)
    month = store.sql("SELECT segment, sum(n) AS n FROM r_segments_month GROUP BY 1")
    assert (month["n"] == N).all() and sorted(month["segment"]) == ["age", "channel", "income", "product"]


def test_unknown_column_names_the_declared_ones(store: Store) -> None:
    with pytest.raises(SegmentError, match="product, channel, income, age"):
        build_segment_report(store, "m", "colour", custom_period(*CURRENT))
