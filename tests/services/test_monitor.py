"""The Python API: same validation, quarantine, idempotence and rollups as `dashboard ingest`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard import Monitor
from tests.support.live_api import prediction, tiny_api_store


def test_log_predictions_and_outcomes(tmp_path: Path) -> None:
    tiny_api_store(tmp_path / "store")
    monitor = Monitor(tmp_path / "store")
    rows = [prediction(i) for i in range(6)] + [prediction(6, score="high")]
    report = monitor.log_predictions(rows)
    assert (report.rows, report.stored, report.skipped) == (7, 6, 0)
    assert [r.row for r in report.rejected] == [7] and "score: expected a probability" in report.rejected[0].reason
    assert report.quarantine and (Path(report.quarantine) / "rows.parquet").exists()
    again = monitor.log_predictions(pd.DataFrame(rows[:6]))
    assert (again.stored, again.skipped, again.ok) == (0, 6, True)
    daily = monitor.store.read_rollup("daily")
    frame = pd.DataFrame(rows[:6])
    assert int(daily["n"].sum()) == len(frame)
    assert int(daily["n_approve"].sum()) == int((frame["decision"] == "approve").sum())
    outcome = monitor.log_outcomes({"application_id": "a1", "outcome_timestamp": "2026-10-01", "label": 1})
    assert outcome.stored == 1 and monitor.log_outcomes(
        {"application_id": "a1", "outcome_timestamp": "2026-10-01", "label": 1}).skipped == 1
    assert int(monitor.store.read_rollup("daily")["n_bad"].sum()) == 1
    sources = {(e["source"], e["log"]) for e in monitor.store.read_events("ingest_batch")}
    assert sources == {("python", "predictions"), ("python", "outcomes")}


def test_api_records_take_the_arrow_path_and_store_what_pandas_stores(tmp_path: Path) -> None:
    from dashboard.services.live_ingest import LiveIngest, records_table

    rows = [prediction(1), prediction(2, timestamp="2026-05-01T12:00:00+02:00")]
    assert records_table(rows) is not None
    assert records_table([prediction(3, timestamp="2026-05-01 09:00:00")]) is not None
    assert records_table([prediction(4), prediction(5, timestamp="2026-05-01 09:00:00")]) is None  # mixed
    live = LiveIngest(tiny_api_store(tmp_path / "a"))
    assert live.write("predictions", rows).status == ["stored", "stored"]
    Monitor(tmp_path / "b").store.register_model(live.store.load_card("tiny"))
    Monitor(tmp_path / "b").log_predictions(rows)
    live.refresh_rollups()

    def raw(root: Path) -> pd.DataFrame:
        files = sorted(root.glob("predictions/*/*/part-*.parquet"))
        return pd.concat([pd.read_parquet(f) for f in files]).sort_values("prediction_id").reset_index(drop=True)

    pd.testing.assert_frame_equal(raw(tmp_path / "a"), raw(tmp_path / "b"))
    expected = pd.to_datetime(pd.Series([r["timestamp"] for r in rows]), utc=True, format="mixed")
    assert list(raw(tmp_path / "a")["timestamp"]) == list(expected.dt.tz_localize(None))
