"""The id index: a write batch reads only files whose id range could match, with the same
results as reading every stored id (checked against pandas on the raw rows)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.ingest.validation import validate_outcomes, validate_predictions
from dashboard.store import Store
from dashboard.store.id_index import IdIndex, matching_files, read_range
from tests.support.batches import copy_prediction_batch

MODEL = "gbm_champion"


def _raw_predictions(store: Store) -> pd.DataFrame:
    frames = [pq.read_table(f).to_pandas().assign(date=f.parent.name[5:], model_id=f.parent.parent.name[9:])
              for f in store.prediction_files()]
    return pd.concat(frames, ignore_index=True)


def test_matching_files_by_range() -> None:
    ranges = pa.table({"file": ["a", "b", "c"], "lo": ["A-01", "A-05", "B-00"], "hi": ["A-03", "A-09", "B-09"]})
    wanted = ["A-04", "A-07", "C-1"]
    expected = [f for f, lo, hi in zip(["a", "b", "c"], ["A-01", "A-05", "B-00"], ["A-03", "A-09", "B-09"],
                                       strict=True) if any(lo <= w <= hi for w in wanted)]
    assert matching_files(ranges, wanted) == expected == ["b"]
    assert matching_files(ranges, []) == []


def test_index_reconciles_new_removed_and_corrupt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    files = []
    for i, ids in enumerate((["x3", "x1"], ["y2", "y9"])):
        path = tmp_path / "log" / f"part-{i}.parquet"
        path.parent.mkdir(exist_ok=True)
        pq.write_table(pa.table({"pid": ids}), path)
        files.append(path)
    index = IdIndex(tmp_path, tmp_path / "ids")
    assert read_range(files[0], "pid") == ("x1", "x3")
    assert index.candidates("t", files, "pid", ["x2"]) == [files[0]]
    assert index.candidates("t", files[1:], "pid", ["x2", "y5"]) == [files[1]]   # a removed file drops out
    (tmp_path / "ids" / "t.parquet").write_bytes(b"not parquet")
    with caplog.at_level(logging.WARNING):
        assert index.candidates("t", files, "pid", ["x1", "y9"]) == files
    assert "rebuilding" in caplog.text
    assert pq.read_table(tmp_path / "ids" / "t.parquet").num_rows == 2


def test_duplicates_across_days_skipped_as_without_index(store_copy: Store) -> None:
    raw = _raw_predictions(store_copy)
    days = sorted(raw.loc[raw["model_id"] == MODEL, "date"].unique())
    old = raw[(raw["model_id"] == MODEL) & raw["date"].isin([days[0], days[len(days) // 2], days[-1]])]
    stored = old.groupby("date").head(5).drop(columns=["date"])
    fresh = copy_prediction_batch(store_copy, 0, 20, MODEL)
    batch = validate_predictions(pd.concat([stored, fresh], ignore_index=True), store_copy.list_cards()).good
    expected_skipped = int(batch["prediction_id"].isin(raw["prediction_id"]).sum())
    stats = store_copy.write_predictions(batch)
    assert (stats.skipped_existing, stats.written) == (expected_skipped, len(batch) - expected_skipped)
    after = _raw_predictions(store_copy)
    assert after["prediction_id"].is_unique and len(after) == len(raw) + len(fresh)
    assert store_copy.write_predictions(batch).written == 0   # idempotent with the index in place


def test_outcomes_for_old_days_matched_and_index_rebuilt(store_copy: Store) -> None:
    raw = _raw_predictions(store_copy)
    first_day = raw["date"].min()
    apps = sorted(raw.loc[raw["date"] == first_day, "application_id"].unique())[:3]
    for f in store_copy.layout.id_index.glob("*.parquet"):
        f.unlink()   # a deleted index is rebuilt on first use
    frame = pd.DataFrame({"application_id": apps, "outcome_timestamp": pd.Timestamp("2030-01-02 10:00"),
                          "label": 1, "loan_amount": 1000.0, "loss_amount": 500.0})
    good = validate_outcomes(frame).good
    stats = store_copy.write_outcomes(good)
    hit = raw[raw["application_id"].isin(apps)]
    expected = sorted({(m, d[:7]) for m, d in zip(hit["model_id"], hit["date"], strict=True)})
    assert stats.written == len(apps) and stats.partitions == expected
    assert any(store_copy.layout.id_index.glob("applications-*.parquet"))
    assert store_copy.write_outcomes(good).skipped_existing == len(apps)
    store_copy.rebuild_rollups()   # `rollup rebuild` drops the derived index; the next write rebuilds it
    assert not store_copy.layout.id_index.exists()
    assert store_copy.write_outcomes(good).skipped_existing == len(apps)
    assert any(store_copy.layout.id_index.glob("outcomes.parquet"))
