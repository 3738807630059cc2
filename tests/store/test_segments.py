"""The segments rollup and the figures read from it, against an independent computation on the raw
rows (pandas, scikit-learn, numpy): counts and rates exact, AUC within its stated bin bound, the
calibration ratio to the millionth, the PSI on the same 100 bins; and the rollup's size bound."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dashboard.analytics.periods import custom_period
from dashboard.models.card import parse_card
from dashboard.services.segments import SegmentError, build_segment_report
from dashboard.store import Store
from tests.support.segment_store import (
    CARD,
    CURRENT,
    REFERENCE,
    N,
    build_segment_store,
    segment_logs,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_segment_store(tmp_path_factory.mktemp("segments") / "store")


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
    preds, outcomes = segment_logs()
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
    rows = rows.assign(value=_values(segment_logs()[0], column).loc[rows.index])
    ref_rows = ref_rows.assign(value=_values(segment_logs()[0], column).loc[ref_rows.index])
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


def test_changed_bands_regroup_the_history_on_rebuild(tmp_path: Path) -> None:
    store = build_segment_store(tmp_path / "store")
    card = {**CARD, "segments": ["product", {"name": "income", "bands": [30_000]}]}
    store.register_model(parse_card(card))
    store.rebuild_rollups()
    values = Store(store.root).sql("SELECT DISTINCT segment, value FROM r_segments_month ORDER BY ALL")
    assert values[values["segment"] == "income"]["value"].tolist() == ["30,000 and over", "under 30,000"]
