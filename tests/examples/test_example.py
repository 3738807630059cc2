"""The bring-your-own-model example, end to end, on a small generated table with the same traps
as the German credit data: spaces in column names, empty cells, a target coded 1 = GOOD."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.store import Store
from dashboard.store.challengers import load_shadow_rows
from dashboard.store.registry import champion_id

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bring_your_own_model.py"


def _table(path: Path, n: int = 400) -> None:
    rng = np.random.default_rng(1)
    amount = rng.integers(500, 15_000, n)
    duration = rng.integers(6, 60, n)
    saving = rng.choice(np.array(["little", "moderate", "rich", None], dtype=object), n, p=[0.5, 0.2, 0.1, 0.2])
    risk = 0.00008 * amount + 0.03 * duration - 2.5 + np.where(saving == "little", 0.6, 0)
    good = (rng.random(n) > 1 / (1 + np.exp(-risk))).astype(int)  # 1 = GOOD, as in the German data
    pd.DataFrame({"ID": range(1, n + 1), "Age": rng.integers(19, 75, n), "Sex": rng.choice(["male", "female"], n),
                  "Saving accounts": saving, "Credit amount": amount, "Duration": duration,
                  "Purpose": rng.choice(["car", "radio/TV", "education"], n), "Default": good}).to_csv(path, index=False)


@pytest.mark.slow
def test_example_trains_registers_and_ingests(tmp_path: Path) -> None:
    data = tmp_path / "table.csv"
    _table(data)
    spec = importlib.util.spec_from_file_location("byom_example", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code = module.run(["--data", str(data), "--target", "Default", "--good-value", "1", "--id-column", "ID",
                       "--protected", "Sex", "Age", "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store")])
    assert code == 0
    store = Store(tmp_path / "store")
    cards = store.list_cards()
    assert set(cards) == {"byom_logit", "byom_hgb"}
    card = cards["byom_logit"]
    assert "saving_accounts" in card.feature_names and "credit_amount" in card.feature_names
    assert set(card.protected_attributes) == {"sex", "age_band"} and "age" not in card.feature_names
    assert card.missing_recommended() == []
    assert champion_id(store) == "byom_logit"
    assert store.read_artifact("byom_logit") is not None
    shadow = load_shadow_rows(store, ["byom_logit", "byom_hgb"])
    assert len(shadow.frame) == 120 and shadow.overlap("byom_hgb") == 120
    labelled = shadow.frame.dropna(subset=["label"])
    assert len(labelled) > 0 and set(labelled["decision"]) == {"approve"}
    # Default == 1 means good: the stored bad label must be its complement.
    table = pd.read_csv(data)
    out = pd.read_parquet(tmp_path / "out" / "predictions.parquet")
    assert out["saving_accounts"].isna().any()
    assert abs(labelled["label"].mean() - (1 - table["Default"].mean())) < 0.2
