"""Ingest of whole files: the Arrow fast path stores exactly what the pandas path stores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import dashboard.ingest.service as service
from dashboard.ingest.registration import register_model_files
from dashboard.ingest.service import ingest_prediction_files
from dashboard.store import Store
from dashboard.store.portfolio import read_portfolio


def _store(root: Path, portfolio: Path) -> Store:
    files = read_portfolio(portfolio)
    store = Store(root)
    for model_id, card in files.cards.items():
        register_model_files(store, card, files.artifacts.get(model_id), files.training)
    return store


def _contents(store: Store) -> dict[str, pd.DataFrame]:
    raw = store.sql(f"SELECT * FROM {store.predictions_source()} ORDER BY prediction_id")
    out = {"raw": raw}
    for kind in ("daily", "scores", "groups", "features", "latency", "shadow"):
        frame = store.read_rollup(kind)
        out[kind] = frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
    return out


def test_fast_path_stores_what_the_pandas_path_stores(small_portfolio_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    source = read_portfolio(small_portfolio_dir).predictions[0]
    calls: list[int] = []
    real = vars(service)["compute_typed_predictions"]   # the name the service module calls

    def counted(table, cards):
        typed = real(table, cards)
        calls.append(0 if typed is None else typed.num_rows)
        return typed

    monkeypatch.setattr(service, "compute_typed_predictions", counted)
    fast = _store(tmp_path / "fast", small_portfolio_dir)
    report = ingest_prediction_files(fast, [source])
    assert report.ok and calls == [pq.read_metadata(source).num_rows] == [report.stored]

    monkeypatch.setattr(service, "compute_typed_predictions", lambda table, cards: None)
    slow = _store(tmp_path / "slow", small_portfolio_dir)
    assert ingest_prediction_files(slow, [source]).stored == report.stored
    got, expected = _contents(fast), _contents(slow)
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True, obj=name)
    # Ingesting the file again through the fast path stores nothing twice.
    again = ingest_prediction_files(fast, [source])
    assert again.stored == 0 and again.files[0].skipped_existing == report.stored


def test_a_file_with_a_bad_row_takes_the_checked_path(small_portfolio_dir: Path, tmp_path: Path) -> None:
    source = read_portfolio(small_portfolio_dir).predictions[0]
    frame = pd.read_parquet(source).head(500)
    frame.loc[7, "score"] = 1.5
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path, index=False)
    store = _store(tmp_path / "store", small_portfolio_dir)
    report = ingest_prediction_files(store, [path])
    assert not report.ok and report.stored == 499 and report.files[0].rejected == 1
    assert "row(s) 8" in report.files[0].problems[0] and report.files[0].quarantine
