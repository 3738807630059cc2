"""Overview through the entry point, as every role, on the fixture store and an empty one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.analytics.overview import compute_period_summary
from dashboard.store import Store
from dashboard.store.overview import load_daily
from tests.ui.apptest import errors, open_page


@pytest.mark.parametrize("role", ["credit_officer", "executive", "data_scientist", "admin"])
def test_overview_for_every_role(role: str, small_store_dir: Path, small_store: Store) -> None:
    at = open_page(small_store_dir, role)
    assert errors(at) == []
    assert at.title[0].value == "Overview"
    metrics = {m.label: m.value for m in at.metric}
    daily = load_daily(small_store, "gbm_champion")
    import pandas as pd
    days = pd.to_datetime(daily["date"]).dt.date
    whole = compute_period_summary(daily, days.min(), days.max())
    assert metrics["Realized bad rate (matured loans)"] == f"{whole.realized_bad_rate:.1%}"
    assert metrics["Label maturity"] == f"{whole.label_maturity:.1%}"
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
