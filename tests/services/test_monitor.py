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
