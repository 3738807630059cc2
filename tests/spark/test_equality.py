"""The Spark engine writes the same rollup files as DuckDB's: a store of 20,000 applications x 3
models with outcomes, rebuilt by both engines, every rollup file equal row for row after sorting.
Every kind the DuckDB side writes must have a Spark builder (a new kind without one fails here).
One model's card declares segment columns taking every path of a segment value (kept text values,
"(other)" and "(missing)", a float column's values as text, declared and quintile bands); the
others keep the default segments. Figures are also checked against the raw rows with pandas and
hashlib."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard.analytics.fairness import MISSING_GROUP
from dashboard.analytics.segments import OTHER_VALUE
from dashboard.ingest.demo import build_demo_store
from dashboard.sample.generator import generate_portfolio
from dashboard.store import Store
from dashboard.store.layout import OUTCOME_ROLLUP, TABLE_KINDS
from dashboard.store.rollups.builders import SHADOW_PER_DAY

pytestmark = pytest.mark.slow
APPLICATIONS = 20_000
SEGMENTED = "logit_scorecard"
# applicant_name: 576 names, 20 kept, the rest "(other)", some left out ("(missing)"); loan_term_months:
# a float column of 6 values (categorical: "12.0"); employment_years: quintiles, missing when not employed
SEGMENTS = ("region", "applicant_name", "loan_term_months", "employment_years", "annual_income")
INCOME_BANDS = (30_000.0, 60_000.0)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> tuple[Path, Path]:
    """The same store rebuilt by DuckDB and by Spark."""
    from dashboard.spark.engine import SparkRollups
    from dashboard.store.portfolio import write_portfolio

    base = tmp_path_factory.mktemp("spark-equality")
    portfolio = generate_portfolio(APPLICATIONS, seed=19, training_rows=4_000)
    portfolio.cards[SEGMENTED] = dataclasses.replace(portfolio.cards[SEGMENTED], segments=SEGMENTS,
                                                     segment_bands={"annual_income": INCOME_BANDS})
    portfolio.predictions[SEGMENTED].loc[::25, "applicant_name"] = None
    write_portfolio(base / "portfolio", portfolio)
    build_demo_store(Store(base / "duck"), base / "portfolio")
    shutil.copytree(base / "duck", base / "spark")
    Store(base / "duck").rebuild_rollups()
    spark_store = Store(base / "spark")
    for path in (base / "spark" / "rollups").rglob("*.parquet"):  # nothing of DuckDB's may survive
        path.unlink()
    with SparkRollups(spark_store, spark) as engine:
        spark_store.rebuild_rollups(source=engine)
    return base / "duck", base / "spark"


def _files(root: Path) -> dict[str, list[Path]]:
    return {kind: sorted(p.relative_to(root) for p in (root / "rollups" / kind).rglob("*.parquet")
                         if not p.name.startswith(".")) for kind in TABLE_KINDS}


def _sorted(table: Any) -> pd.DataFrame:
    frame = table.to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_every_kind_duckdb_writes_has_a_spark_builder() -> None:
    from dashboard.spark.kinds import MODEL_KINDS

    missing = [k for k in TABLE_KINDS if k != OUTCOME_ROLLUP and k not in MODEL_KINDS]
    assert not missing, f"rollup kinds without a Spark builder in dashboard/spark/kinds.py: {missing}"


def test_every_rollup_file_is_equal_row_for_row(stores: tuple[Path, Path]) -> None:
    duck, spark = stores
    duck_files, spark_files = _files(duck), _files(spark)
    written = [k for k, files in duck_files.items() if files]
    assert set(written) == set(TABLE_KINDS), f"the fixture store lacks kinds {set(TABLE_KINDS) - set(written)}"
    values = set(pd.read_parquet(duck / "rollups" / "segments", columns=["value"])["value"].astype(str))
    assert {OTHER_VALUE, MISSING_GROUP, "12.0", "under 30,000"} <= values, sorted(values)
    for kind in TABLE_KINDS:
        assert spark_files[kind] == duck_files[kind], kind
        for rel in duck_files[kind]:
            a, b = pq.read_table(duck / rel), pq.read_table(spark / rel)
            assert a.schema.equals(b.schema), (rel, a.schema, b.schema)
            assert a.num_rows == b.num_rows, rel
            pd.testing.assert_frame_equal(_sorted(a), _sorted(b), check_exact=True, obj=str(rel))


def test_spark_figures_match_the_raw_rows(stores: tuple[Path, Path]) -> None:
    """Labelled and bad counts per model and day, and the shadow sample's ids, from the raw logs."""
    _, spark = stores
    preds = pd.read_parquet(spark / "predictions", columns=["application_id", "timestamp", "model_id", "date"])
    outcomes = pd.read_parquet(spark / "outcomes", columns=["application_id", "outcome_timestamp", "label"])
    latest = outcomes.sort_values("outcome_timestamp").groupby("application_id").tail(1)
    rows = preds.merge(latest, on="application_id", how="left")
    rows["date"] = pd.to_datetime(rows["date"].astype(str)).dt.date
    expected = rows.groupby(["model_id", "date"]).agg(n=("application_id", "size"), n_labelled=("label", "count"),
                                                      n_bad=("label", "sum")).reset_index()
    daily = pd.read_parquet(spark / "rollups" / "daily")
    daily["model_id"] = daily["model_id"].astype(str)
    got = daily[["model_id", "date", "n", "n_labelled", "n_bad"]].sort_values(["model_id", "date"])
    expected["model_id"] = expected["model_id"].astype(str)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.sort_values(["model_id", "date"])
                                  .reset_index(drop=True), check_dtype=False)
    ids = rows[["model_id", "date", "application_id"]].drop_duplicates()
    ids["key"] = [hashlib.md5(a.encode("utf-8")).digest()[:8] for a in ids["application_id"]]
    sample = ids.sort_values(["key", "application_id"]).groupby(["model_id", "date"]).head(SHADOW_PER_DAY)
    shadow = pd.read_parquet(spark / "rollups" / "shadow", columns=["model_id", "date", "application_id"])
    assert set(zip(shadow["model_id"].astype(str), shadow["date"], shadow["application_id"], strict=True)) == \
        set(zip(sample["model_id"].astype(str), sample["date"], sample["application_id"], strict=True))


def test_spark_segments_match_the_raw_rows(stores: tuple[Path, Path]) -> None:
    """The declared model's segment counts by value, from the raw rows: the kept names (the store's
    spec), "(other)" and "(missing)"; the declared income bands."""
    _, spark = stores
    preds = pd.read_parquet(spark / "predictions" / f"model_id={SEGMENTED}",
                            columns=["application_id", "applicant_name", "annual_income"])
    outcomes = pd.read_parquet(spark / "outcomes", columns=["application_id", "outcome_timestamp", "label"])
    latest = outcomes.sort_values("outcome_timestamp").groupby("application_id").tail(1)
    rows = preds.merge(latest[["application_id", "label"]], on="application_id", how="left")
    kept = json.loads((spark / "models" / SEGMENTED / "segments.json").read_text())["applicant_name"]["values"]
    names = rows["applicant_name"].where(rows["applicant_name"].isin(kept), OTHER_VALUE)
    income = np.select([rows["annual_income"] < INCOME_BANDS[0], rows["annual_income"] < INCOME_BANDS[1]],
                       ["under 30,000", "30,000 to under 60,000"], "60,000 and over")
    seg = pd.read_parquet(spark / "rollups" / "segments" / SEGMENTED)
    for column, values in (("applicant_name", names.where(rows["applicant_name"].notna(), MISSING_GROUP)),
                           ("annual_income", pd.Series(income, index=rows.index))):
        expected = rows.assign(value=values).groupby("value").agg(
            n=("application_id", "size"), n_labelled=("label", "count"), n_bad=("label", "sum"))
        got = seg[seg["segment"] == column].groupby("value", observed=True)[["n", "n_labelled", "n_bad"]].sum()
        pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_dtype=False, check_names=False)
