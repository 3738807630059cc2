"""Protected groups and the adverse impact ratio, checked against pandas on the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.analytics.fairness import (
    BANDS,
    CATEGORICAL,
    DEFAULT_AGE_BANDS,
    MISSING_GROUP,
    SOURCE_AGE,
    SOURCE_DECLARED,
    SOURCE_QUANTILES,
    assign_groups,
    band_labels,
    compute_adverse_impact,
    compute_group_rates,
    compute_group_spec,
    count_groups,
    group_order,
)
from dashboard.models.card import parse_card


def test_age_in_years_is_banded_not_one_group_per_year() -> None:
    rng = np.random.default_rng(0)
    ages = pd.Series(rng.integers(18, 80, 5_000).astype(str))
    spec = compute_group_spec("age", ages)
    assert (spec.kind, spec.edges, spec.source) == (BANDS, DEFAULT_AGE_BANDS, SOURCE_AGE)
    groups = assign_groups(ages, spec)
    expected = pd.cut(ages.astype(int), [-np.inf, 25, 35, 45, 55, 65, np.inf], right=False,
                      labels=band_labels(DEFAULT_AGE_BANDS)).astype(str)
    assert list(groups) == list(expected)
    assert len(set(groups)) == 6


def test_other_numeric_attributes_get_quintiles_and_text_stays_categorical() -> None:
    rng = np.random.default_rng(1)
    income = pd.Series(rng.lognormal(10, 1, 10_000))
    spec = compute_group_spec("household_income", income)
    assert spec.kind == BANDS and spec.source == SOURCE_QUANTILES and len(spec.edges) == 4
    shares = pd.Series(assign_groups(income, spec)).value_counts(normalize=True)
    assert shares.min() > 0.17 and shares.max() < 0.23        # quintiles, edges rounded to 3 digits
    assert compute_group_spec("sex", pd.Series(["F", "M"] * 50)).kind == CATEGORICAL
    # few distinct numbers (a coded attribute such as 1/2) are categories, not bands
    assert compute_group_spec("age_band", pd.Series(["1", "2", "3"] * 40)).kind == CATEGORICAL
    assert compute_group_spec("age_band", pd.Series(["25-34", "35-44"] * 40)).kind == CATEGORICAL


def test_declared_bands_win_and_missing_values_form_their_own_group() -> None:
    card = parse_card({"id": "m", "name": "m", "version": "1", "role": "champion", "algorithm": "a", "owner": "o",
                       "training": {"data": "x"}, "target": "t", "features": [{"name": "x", "type": "numeric"}],
                       "protected_attributes": ["sex", {"name": "age", "bands": [30, 60]}]})
    assert card.protected_attributes == ("sex", "age") and card.protected_bands == {"age": (30.0, 60.0)}
    spec = compute_group_spec("age", pd.Series(["20"] * 100), card.protected_bands["age"])
    assert spec.source == SOURCE_DECLARED
    values = pd.Series(["29.9", "30", "59", "60", None, "", "unknown", "nan"])
    assert list(assign_groups(values, spec)) == ["under 30", "30 to under 60", "30 to under 60", "60 and over",
                                                 MISSING_GROUP, MISSING_GROUP, MISSING_GROUP, MISSING_GROUP]
    # the card's own form survives a round trip
    again = parse_card(card.to_dict())
    assert again.protected_bands == card.protected_bands


@pytest.mark.parametrize("bands", [[], [30, 30], [60, 30], ["a"], [float("inf")]])
def test_bad_band_edges_are_refused_with_the_field_named(bands: list[object]) -> None:
    from dashboard.models.card import CardError

    with pytest.raises(CardError, match=r"protected_attributes\[0\] \(age\)"):
        parse_card({"id": "m", "name": "m", "version": "1", "role": "champion", "algorithm": "a", "owner": "o",
                    "training": {"data": "x"}, "target": "t", "features": [{"name": "x", "type": "numeric"}],
                    "protected_attributes": [{"name": "age", "bands": bands}]})


def _rows(seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 4_000
    frame = pd.DataFrame({"sex": rng.choice(np.array(["F", "M", None], dtype=object), n, p=[0.48, 0.48, 0.04]),
                          "region": rng.choice(["n", "s", "e", "tiny"], n, p=[0.4, 0.35, 0.245, 0.005])})
    frame["approved"] = rng.random(n) < np.where(frame["sex"] == "F", 0.55, 0.7)
    return frame


def test_group_rates_and_the_ratio_match_pandas_on_rows() -> None:
    rows = _rows()
    min_size = 30
    counts = pd.concat([count_groups(rows[a], rows["approved"].to_numpy(), a) for a in ("sex", "region")])
    rates = compute_group_rates(counts, min_size).set_index(["attribute", "group"])
    expected_worst = []
    for attr in ("sex", "region"):
        groups = rows[attr].fillna(MISSING_GROUP)
        table = rows.groupby(groups)["approved"].agg(["size", "mean"])
        counted = table[(table["size"] >= min_size) & (table.index != MISSING_GROUP)]
        for group, row in table.iterrows():
            got = rates.loc[(attr, group)]
            assert got["decided"] == row["size"] and got["approval_rate"] == pytest.approx(row["mean"])
            if group in counted.index:
                assert got["adverse_impact_ratio"] == pytest.approx(row["mean"] / counted["mean"].max())
            else:
                assert pd.isna(got["adverse_impact_ratio"]) and not got["counted"]
        expected_worst.append(counted["mean"].min() / counted["mean"].max())
    air = compute_adverse_impact(rates.reset_index(), min_size)
    assert air.value == pytest.approx(min(expected_worst))
    assert "region=tiny" in air.left_out and f"sex={MISSING_GROUP}" in air.left_out


def test_a_single_small_group_never_drives_the_ratio() -> None:
    """Thresholds once showed a ratio of 0.00 from one 73-year-old."""
    counts = pd.DataFrame({"attribute": "age", "group": ["35 to under 45", "45 to under 55", "65 and over"],
                           "decided": [400.0, 380.0, 1.0], "approved": [300.0, 270.0, 0.0]})
    air = compute_adverse_impact(compute_group_rates(counts, 30), 30)
    assert air.value == pytest.approx((270 / 380) / (300 / 400))
    none = compute_adverse_impact(compute_group_rates(counts.iloc[:1], 30), 30)
    assert none.value is None and "fewer than two groups" in none.reason


@given(st.lists(st.integers(-10**8, 10**8).map(lambda v: v / 100), min_size=1, max_size=6, unique=True))
def test_band_labels_sort_in_edge_order(edges: list[float]) -> None:
    labels = band_labels(sorted(edges))
    shuffled = list(reversed(labels)) + [MISSING_GROUP]
    assert sorted(shuffled, key=group_order) == [*labels, MISSING_GROUP]
