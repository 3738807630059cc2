"""Overview through the entry point, as every role, on the fixture store and an empty one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.store import Store
from tests.support.apptest import errors, open_page


def _raw_last_30_days(store: Store) -> dict[str, float]:
    """Overview's default period from the raw logs with pandas: the champion's last 30 days of data."""
    preds = pd.concat(pd.read_parquet(f) for f in sorted((store.root / "predictions" /
                                                          "model_id=gbm_champion").rglob("part-*.parquet")))
    outcomes = pd.concat(pd.read_parquet(f) for f in sorted((store.root / "outcomes").rglob("part-*.parquet")))
    label = outcomes.sort_values("outcome_timestamp").groupby("application_id")["label"].last()
    preds["day"] = pd.to_datetime(preds["timestamp"]).dt.normalize()
    window = preds[preds["day"] > preds["day"].max() - pd.Timedelta(days=30)]
    approved = window[window["decision"] == "approve"]
    labels = approved["application_id"].map(label).dropna()
    return {"maturity": len(labels) / len(approved), "bad_rate": labels.mean() if len(labels) else float("nan"),
            "matured": float(len(labels))}


@pytest.mark.parametrize("role", ["credit_officer", "executive", "data_scientist", "admin"])
def test_overview_for_every_role(role: str, small_store_dir: Path, small_store: Store) -> None:
    at = open_page(small_store_dir, role)
    assert errors(at) == []
    assert at.title[0].value == "Overview"
    metrics = {m.label: m.value for m in at.metric}
    raw = _raw_last_30_days(small_store)
    # The period's own label maturity, not the whole history's (a real portfolio showed the latter).
    assert metrics["Label maturity"] == f"{raw['maturity']:.1%}"
    if raw["matured"]:
        assert metrics["Realized bad rate (matured loans)"] == f"{raw['bad_rate']:.1%}"
    else:
        assert "Realized bad rate (matured loans), whole history" in metrics
    models = at.dataframe[0].value
    assert set(models["model"]) == {"gbm_champion", "logit_scorecard", "hgb_challenger"}
    assert models.loc[models["model"] == "gbm_champion", "role"].item() == "champion"


def test_overview_on_an_empty_store(tmp_path: Path) -> None:
    at = open_page(tmp_path / "empty", "executive")
    assert errors(at) == []
    assert "no prediction logs" in at.info[0].value


def test_unknown_role_in_the_address_is_explained(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "hacker")
    assert errors(at) == []
    assert any("Unknown role" in w.value for w in at.warning)
