"""Compaction merges small files while readers run; they never see rows missing or doubled."""

from __future__ import annotations

import threading

import pandas as pd

from dashboard.cli import main
from dashboard.ingest.validation import validate_predictions
from dashboard.store import Store


def _small_batches(store: Store, batches: int, rows: int) -> list[pd.DataFrame]:
    src = store.predictions_source(store.prediction_files(model_id="gbm_champion"))
    base = store.sql(f"SELECT * EXCLUDE (date) FROM {src} ORDER BY timestamp DESC LIMIT {rows}")
    day = pd.Timestamp(base["timestamp"].max()).normalize()
    out = []
    for b in range(batches):
        frame = base.copy()
        frame["prediction_id"] = [f"LIVE-{b}-{i}" for i in range(rows)]
        frame["application_id"] = [f"LIVEAPP-{b}-{i}" for i in range(rows)]
        frame["timestamp"] = day + pd.Timedelta(hours=1) + pd.to_timedelta(range(rows), unit="s")
        out.append(validate_predictions(frame, store.list_cards()).good)
    return out


def _raw_count(store: Store) -> int:
    return int(store.sql(f"SELECT count(*) AS n FROM {store.predictions_source()}")["n"][0])


def test_compaction_with_readers(store_copy: Store) -> None:
    for frame in _small_batches(store_copy, 12, 20):
        store_copy.write_predictions(frame)
    busy = [d for d in store_copy.layout.predictions.glob("model_id=*/date=*") if len(list(d.glob("part-*"))) > 1]
    assert busy, "the live batches should leave a partition with many files"
    before_rows = _raw_count(store_copy)
    before_rollup = store_copy.read_rollup("daily").sort_values(["model_id", "date"]).reset_index(drop=True)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        own = Store(store_copy.root)
        while not stop.is_set():
            try:
                seen.append(_raw_count(own))
            except BaseException as exc:  # noqa: BLE001  (a reader error is a test failure, reported below)
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    stats = store_copy.compact()
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert seen and set(seen) == {before_rows}
    assert stats["partitions"] >= len(busy)
    assert all(len(list(d.glob("part-*"))) == 1 for d in store_copy.layout.predictions.glob("model_id=*/date=*"))
    assert _raw_count(Store(store_copy.root)) == before_rows
    after_rollup = Store(store_copy.root).read_rollup("daily").sort_values(["model_id", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(before_rollup, after_rollup)
    assert not list(store_copy.root.rglob(".compact-*"))


def test_compact_cli(store_copy: Store, capsys: object) -> None:
    for frame in _small_batches(store_copy, 3, 5):
        store_copy.write_predictions(frame)
    assert main(["--store", str(store_copy.root), "compact"]) == 0
