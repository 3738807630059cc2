"""The HTTP API's writes: a batch of rows validated like a file, bad rows quarantined, good rows
stored durably by `store.live` with the rollups refreshed later, and each row's fate reported
so that every request of a group-committed batch gets its own answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.ingest.arrow_validation import compute_typed_predictions
from dashboard.ingest.service import FileReport, check_frame
from dashboard.ingest.validation import validate_outcomes, validate_predictions
from dashboard.store import Store
from dashboard.store.live import LiveStats, LiveWriter

STORED, SKIPPED, REJECTED = "stored", "skipped", "rejected"
Records = list[dict[str, Any]]
log = logging.getLogger(__name__)


def records_table(records: Records) -> pa.Table | None:
    """JSON records as Arrow, ISO timestamps parsed, for the Arrow checks; None: use pandas.

    Arrow parses what pandas parses the same way (an offset or Z converted to UTC, no zone
    taken as UTC); anything it cannot type goes to the pandas path, which also gives the reasons.
    """
    try:
        table = pa.Table.from_pylist(records)
        at = table.schema.get_field_index("timestamp")
        if at >= 0 and pa.types.is_string(table.schema.field(at).type):
            try:
                stamps = pc.cast(table.column(at), pa.timestamp("us", "UTC"))   # every row zoned
            except pa.ArrowInvalid:
                stamps = pc.cast(table.column(at), pa.timestamp("us"))          # none zoned: UTC
            table = table.set_column(at, "timestamp", stamps)
        return table
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        log.debug("records go through the full validation: %s", exc)
        return None


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

    def write(self, kind: str, rows: Records | pd.DataFrame | pa.Table, source: str = "api") -> BatchOutcome:
        """Validate and durably store one batch of predictions or outcomes."""
        if kind == "predictions":
            table = records_table(rows) if isinstance(rows, list) else rows
            if isinstance(table, pa.Table) and (done := self._write_clean(table)) is not None:
                return done
        if isinstance(rows, list):
            frame = pd.DataFrame.from_records(rows)
        else:
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

    def _write_clean(self, table: pa.Table) -> BatchOutcome | None:
        """Rows the Arrow checks prove clean, stored without the pandas round trip; None otherwise."""
        typed = compute_typed_predictions(table, self.store.list_cards())
        if typed is None:
            return None
        stats = self.writer.append_predictions(typed)
        # Typed rows come model by model: the input's own order gives each request its rows.
        ids = pc.cast(table.column("prediction_id"), pa.string()).to_pylist()
        return BatchOutcome([SKIPPED if i in stats.skipped_ids else STORED for i in ids])

    def _store_good(self, kind: str, good: pd.DataFrame) -> LiveStats:
        if good.empty:
            return LiveStats()
        if kind == "outcomes":
            return self.writer.append_outcomes(good)
        parts = [self.store.writer.typed_predictions(m, good[good["model_id"] == m])
                 for m in sorted(good["model_id"].unique())]
        return self.writer.append_predictions(pa.concat_tables(parts, promote_options="default"))
