"""Validators: each bad input named by row and column; good rows kept; fuzzed with hypothesis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.ingest.validation import (
    REASON_COLUMN,
    ROW_COLUMN,
    validate_outcomes,
    validate_predictions,
)
from dashboard.models.card import ModelCard, parse_card

CARD = parse_card({
    "id": "m1", "name": "M", "version": "1", "role": "champion", "algorithm": "lr", "owner": "o",
    "training": {"window": {"start": "2024-01-01", "end": "2024-12-31"}}, "target": "default",
    "features": [{"name": "income", "type": "numeric"}, {"name": "home", "type": "categorical"}],
    "protected_attributes": ["sex"],
})
CARDS: dict[str, ModelCard] = {"m1": CARD}


def _rows(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({
        "prediction_id": [f"p{i}" for i in range(n)], "model_id": ["m1"] * n,
        "timestamp": ["2025-01-01T10:00:00Z"] * n, "application_id": [f"a{i}" for i in range(n)],
        "score": ["0.2"] * n, "decision": ["approve"] * n, "income": ["50000"] * n,
        "home": ["rent"] * n, "sex": ["female"] * n,
    })


def test_good_rows_pass_typed() -> None:
    result = validate_predictions(_rows(), CARDS)
    assert result.ok
    assert result.good["score"].dtype == float and result.good["income"].tolist() == [50000.0] * 4
    assert str(result.good["timestamp"].dtype).startswith("datetime64")


def test_missing_required_column_rejects_all_rows_with_a_clear_message() -> None:
    result = validate_predictions(_rows().drop(columns=["score"]), CARDS)
    assert result.good.empty and len(result.rejected) == 4
    assert "score" in result.problems[0] and "required column" in result.problems[0]


def test_each_bad_cell_is_named_and_good_rows_survive() -> None:
    frame = _rows(6)
    frame.loc[1, "score"] = "1.7"          # outside 0..1
    frame.loc[2, "timestamp"] = "yesterday"  # unparsable
    frame.loc[3, "income"] = "lots"        # wrong type
    frame.loc[4, "model_id"] = "ghost"     # unknown model
    result = validate_predictions(frame, CARDS)
    assert result.good["prediction_id"].tolist() == ["p0", "p5"]
    assert sorted(result.rejected[ROW_COLUMN].tolist()) == [2, 3, 4, 5]
    text = " | ".join(result.problems)
    for needle in ("'score'", "'timestamp'", "'income'", "'model_id'", "row(s) 2", "'1.7'", "registered model"):
        assert needle in text
    reasons = dict(zip(result.rejected[ROW_COLUMN], result.rejected[REASON_COLUMN], strict=True))
    assert "score" in reasons[2] and "timestamp" in reasons[3] and "income" in reasons[4]


def test_duplicate_prediction_id_in_one_file_keeps_the_first() -> None:
    frame = _rows(3)
    frame.loc[2, "prediction_id"] = "p0"
    result = validate_predictions(frame, CARDS)
    assert result.good["prediction_id"].tolist() == ["p0", "p1"]
    assert result.rejected[ROW_COLUMN].tolist() == [3]


def test_extra_columns_are_ignored_with_a_warning() -> None:
    frame = _rows().assign(surprise=1)
    result = validate_predictions(frame, CARDS)
    assert result.ok and "surprise" in result.warnings[0] and "surprise" not in result.good


def test_missing_feature_column_rejects_that_models_rows() -> None:
    result = validate_predictions(_rows().drop(columns=["income"]), CARDS)
    assert result.good.empty and "income" in result.problems[0]


def test_bad_decision_and_negative_latency() -> None:
    frame = _rows(3).assign(latency_ms=["5", "-1", "7"])
    frame.loc[0, "decision"] = "maybe"
    result = validate_predictions(frame, CARDS)
    assert result.good["prediction_id"].tolist() == ["p2"]


def test_outcomes_validation() -> None:
    frame = pd.DataFrame({"application_id": ["a1", "a2", "a3", "a4", "a1"],
                          "outcome_timestamp": ["2025-06-01", "2025-06-01", "nope", "2025-06-01", "2025-06-01"],
                          "label": ["1", "0", "0", "2", "1"], "loss_amount": ["10", "", "0", "0", "10"]})
    result = validate_outcomes(frame)
    assert result.good["application_id"].tolist() == ["a1", "a2"]
    assert result.good["label"].tolist() == [1, 0]
    text = " ".join(result.problems)
    assert "outcome_timestamp" in text and "label" in text and "one outcome per application_id" in text


cells = st.one_of(st.none(), st.text(max_size=12), st.floats(allow_nan=True), st.integers(-10**6, 10**6),
                  st.booleans())


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({c: cells for c in _rows(1).columns}), min_size=1, max_size=12))
def test_fuzz_predictions_never_crash_and_partition_rows(rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(rows)
    result = validate_predictions(frame, CARDS)
    assert len(result.good) + len(result.rejected) == len(frame)
    if not result.good.empty:
        scores = result.good["score"].to_numpy()
        assert np.all((scores >= 0) & (scores <= 1))
        assert result.good["prediction_id"].is_unique
        assert result.good["timestamp"].notna().all()
    assert bool(result.problems) == (not result.rejected.empty)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({"application_id": cells, "outcome_timestamp": cells, "label": cells,
                                       "loss_amount": cells}), min_size=1, max_size=12))
def test_fuzz_outcomes_never_crash(rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(rows)
    result = validate_outcomes(frame)
    assert len(result.good) + len(result.rejected) == len(frame)
    assert set(result.good["label"].unique()) <= {0, 1}
