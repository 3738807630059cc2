"""The rollups behind money and fairness, on a portfolio unlike the sample: ages in years,
outcomes without loss amounts, some without loan amounts; and an older store's upgrade."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.money import MONEY_COLUMNS
from dashboard.models.card import parse_card
from dashboard.store import Store
from dashboard.store.rollups.writer import ROLLUP_FORMAT

N = 3_000


def _card(bands: list[float] | None = None) -> dict[str, object]:
    age: object = {"name": "age", "bands": bands} if bands else "age"
    return {"id": "m", "name": "m", "version": "1", "role": "champion", "algorithm": "a", "owner": "o",
            "training": {"data": "none"}, "target": "bad",
            "features": [{"name": "x", "type": "numeric"}],
            "protected_attributes": ["sex", age, "income"]}


def _logs(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    preds = pd.DataFrame({
        "prediction_id": [f"p{i}" for i in range(N)], "model_id": "m",
        "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90 * 24, N), unit="h"),
        "application_id": [f"a{i}" for i in range(N)], "score": rng.beta(2, 8, N),
        "x": rng.normal(size=N), "sex": rng.choice(["F", "M"], N),
        "age": pd.Series(rng.integers(18, 90, N).astype(str), dtype=object).where(rng.random(N) >= 0.02, None),
        "income": rng.lognormal(10, 1, N).round(0)})
    preds["decision"] = np.where(preds["score"] < 0.2, "approve", "decline")
    approved = preds[preds["decision"] == "approve"].sample(frac=0.7, random_state=seed)
    outcomes = pd.DataFrame({"application_id": approved["application_id"].to_numpy(),
                             "outcome_timestamp": pd.Timestamp("2026-09-01"),
                             "label": (rng.random(len(approved)) < approved["score"].to_numpy()).astype(int)})
    outcomes["loan_amount"] = np.where(rng.random(len(outcomes)) < 0.3, np.nan,
                                       rng.lognormal(9, 1, len(outcomes)).round(2))
    outcomes["loss_amount"] = np.where((outcomes["label"] == 1) & (rng.random(len(outcomes)) < 0.4),
                                       outcomes["loan_amount"].fillna(5_000) * 0.5, np.nan)
    return preds, outcomes


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("money") / "store")
    store.register_model(parse_card(_card()))
    preds, outcomes = _logs()
    store.write_predictions(preds.assign(latency_ms=np.nan))
    store.write_outcomes(outcomes)
    return store


def test_scores_rollup_holds_the_money_sums_of_the_raw_rows(store: Store) -> None:
    preds, outcomes = _logs()
    rows = preds.merge(outcomes, on="application_id", how="left")
    lab, good, bad = rows["label"].notna(), rows["label"] == 0, rows["label"] == 1
    has_amt, has_loss = rows["loan_amount"].notna(), rows["loss_amount"].notna()
    def to_cents(values: pd.Series) -> pd.Series:  # half a cent rounds away from zero, as SQL's round()
        x = values.fillna(0) * 100
        return np.sign(x) * np.floor(np.abs(x) + 0.5)

    cents = to_cents(rows["loan_amount"])
    want = {"n": len(rows), "n_labelled": lab.sum(), "n_bad": bad.sum(),
            "amount_cents": cents[lab].sum(), "n_amount": (lab & has_amt).sum(),
            "good_amount_cents": cents[good].sum(), "n_good_amount": (good & has_amt).sum(),
            "loss_cents": to_cents(rows["loss_amount"])[lab].sum(),
            "n_bad_loss": (bad & has_loss).sum(), "bad_noloss_amount_cents": cents[bad & ~has_loss].sum(),
            "n_bad_noloss_amount": (bad & ~has_loss & has_amt).sum()}
    sums = ", ".join(f"sum({c})::BIGINT AS {c}" for c in MONEY_COLUMNS)
    for table in ("r_scores", "r_scores_month"):
        got = store.sql(f"SELECT {sums} FROM {table}").iloc[0]
        for column, value in want.items():
            assert int(got[column]) == int(value), (table, column)


def test_groups_are_bands_for_numbers_and_values_for_text(store: Store) -> None:
    preds, _ = _logs()
    groups = store.sql("SELECT attribute, grp, sum(n)::BIGINT AS n FROM r_groups GROUP BY ALL")
    age = groups[groups["attribute"] == "age"].set_index("grp")["n"]
    ages = pd.to_numeric(preds["age"], errors="coerce")
    expected = pd.cut(ages, [-np.inf, 25, 35, 45, 55, 65, np.inf], right=False,
                      labels=["under 25", "25 to under 35", "35 to under 45", "45 to under 55", "55 to under 65",
                              "65 and over"]).astype(str).where(ages.notna(), "(missing)").value_counts()
    assert age.sort_index().to_dict() == expected.sort_index().to_dict()
    assert set(groups.loc[groups["attribute"] == "sex", "grp"]) == {"F", "M"}
    income = groups[groups["attribute"] == "income"]
    assert len(income) == 5                              # quintiles of the first values seen
    assert income["n"].min() > 0.17 * N
    spec = json.loads((store.root / "models" / "m" / "groups.json").read_text("utf-8"))
    assert spec["age"]["source"] == "the default age bands" and spec["sex"]["kind"] == "categorical"
    # The shadow sample carries the same groups, so Challengers compares the same bands.
    shadow = store.sql('SELECT DISTINCT "g_age" AS g FROM r_shadow')["g"]
    assert set(shadow) <= set(expected.index)


def test_declared_bands_win_and_a_change_asks_for_a_rebuild(store: Store, tmp_path: Path) -> None:
    other = Store(tmp_path / "declared")
    other.register_model(parse_card(_card([40, 60])))
    preds, _ = _logs(1)
    other.write_predictions(preds.assign(latency_ms=np.nan))
    grp = set(other.sql("SELECT DISTINCT grp FROM r_groups WHERE attribute = 'age'")["grp"])
    assert grp == {"under 40", "40 to under 60", "60 and over", "(missing)"}
    notes = other.register_model(parse_card(_card([30, 50, 70])))
    assert any("rollup rebuild" in n for n in notes)
    other.rebuild_rollups()
    grp = set(Store(other.root).sql("SELECT DISTINCT grp FROM r_groups WHERE attribute = 'age'")["grp"])
    assert grp == {"under 30", "30 to under 50", "50 to under 70", "70 and over", "(missing)"}


def test_an_older_store_is_named_and_rebuilt_by_the_next_ingest(store: Store, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(store.root, copy)
    old = Store(copy)
    (copy / "rollups" / "FORMAT.json").unlink()          # a store written before the format was recorded
    assert old.rollup_format() == 1 and "dashboard rollup rebuild" in (old.rollups_outdated() or "")
    _, outcomes = _logs()
    stats = old.write_outcomes(outcomes.head(5).assign(outcome_timestamp=pd.Timestamp("2026-10-01")))
    assert stats.rollups_rebuilt and stats.written == 5
    assert old.rollup_format() == ROLLUP_FORMAT and old.rollups_outdated() is None
    assert Store(copy).rollups_outdated() is None
