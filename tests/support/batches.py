"""New prediction batches for tests that write to a store copy."""

from __future__ import annotations

import pandas as pd

from dashboard.ingest.validation import validate_predictions
from dashboard.store import Store


def copy_prediction_batch(store: Store, start: int, n: int, model_id: str = "gbm_champion") -> pd.DataFrame:
    """`n` new prediction rows copied from the store's own rows, with fresh ids numbered from `start`."""
    src = store.predictions_source(store.prediction_files(model_id=model_id))
    rows = store.sql(f"SELECT * EXCLUDE (date) FROM {src} ORDER BY prediction_id LIMIT {n}")
    rows["prediction_id"] = [f"NEW-{model_id}-{start + i}" for i in range(len(rows))]
    rows["application_id"] = [f"NEWAPP-{start + i}" for i in range(len(rows))]
    result = validate_predictions(rows, store.list_cards())
    assert result.ok, result.problems
    return result.good
