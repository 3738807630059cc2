"""The HTTP API's writes: a batch of rows validated like a file, bad rows quarantined, good rows
stored durably by `store.live` with the rollups refreshed later, and each row's fate reported
so that every request of a group-committed batch gets its own answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from dashboard.ingest.arrow_validation import compute_typed_predictions
from dashboard.ingest.service import FileReport, check_frame
from dashboard.ingest.validation import validate_outcomes, validate_predictions
from dashboard.store import Store
from dashboard.store.live import LiveStats, LiveWriter

STORED, SKIPPED, REJECTED = "stored", "skipped", "rejected"


@dataclass
class BatchOutcome:
    """Each input row's fate, in input order, with the reason of each rejected row."""
    status: list[str]
    reasons: dict[int, str] = field(default_factory=dict)  # 0-based row -> why it was rejected
    problems: list[str] = field(default_factory=list)
    quarantine: str | None = None


class LiveIngest:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.writer = LiveWriter(store)

    def recover(self) -> None:
        self.writer.recover()

    def refresh_rollups(self) -> int:
        return self.writer.refresh_rollups()

    def write(self, kind: str, rows: pd.DataFrame | pa.Table, source: str = "api") -> BatchOutcome:
        """Validate and durably store one batch of predictions or outcomes."""
        if kind == "predictions" and isinstance(rows, pa.Table):
            typed = compute_typed_predictions(rows, self.store.list_cards())
            if typed is not None:  # clean bulk Parquet or Arrow: no pandas round trip
                stats = self.writer.append_predictions(typed)
                ids = typed.column("prediction_id").to_pylist()
                return BatchOutcome([SKIPPED if i in stats.skipped_ids else STORED for i in ids])
        frame = rows.to_pandas() if isinstance(rows, pa.Table) else rows
        fr = FileReport(path=source)
        if kind == "predictions":
            cards = self.store.list_cards()
            result = check_frame(self.store, kind, frame, fr, lambda f, s: validate_predictions(f, cards, s))
        else:
            result = check_frame(self.store, kind, frame, fr, validate_outcomes)
        rejected = {r - 1: why for r, why in fr.row_reasons}
        good_rows = [i for i in range(len(frame)) if i not in rejected]
        stats = self._store_good(kind, result.good)
        status = [REJECTED] * len(frame)
        skipped_rows = set(stats.skipped_rows)
        for k, row in enumerate(good_rows):
            if kind == "predictions":
                skipped = str(result.good["prediction_id"].iat[k]) in stats.skipped_ids
            else:
                skipped = k in skipped_rows
            status[row] = SKIPPED if skipped else STORED
        return BatchOutcome(status, rejected, list(fr.problems), fr.quarantine)

    def _store_good(self, kind: str, good: pd.DataFrame) -> LiveStats:
        if good.empty:
            return LiveStats()
        if kind == "outcomes":
            return self.writer.append_outcomes(good)
        parts = [self.store.writer.typed_predictions(m, good[good["model_id"] == m])
                 for m in sorted(good["model_id"].unique())]
        return self.writer.append_predictions(pa.concat_tables(parts, promote_options="default"))
