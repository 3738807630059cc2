"""Crash recovery for writers: a pending marker names the partitions a batch writes before any
file is renamed into place; the next writer repairs the rollups of a writer that died and
removes its half-written files. Callers hold the writer lock."""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from dashboard.store.catalog import NEW_PREFIX, LogCatalog
from dashboard.store.files import write_json_atomic
from dashboard.store.layout import Layout
from dashboard.store.rollups.writer import RollupWriter

log = logging.getLogger(__name__)


class Recovery:
    def __init__(self, layout: Layout, catalog: LogCatalog, rollups: RollupWriter) -> None:
        self.layout = layout
        self.catalog = catalog
        self.rollups = rollups

    def mark_pending(self, base: Path, partitions: set[tuple[str, ...]]) -> Path:
        """The marker of a batch about to publish files under `base` (predictions or outcomes)."""
        payload: dict[str, Any]
        if base == self.layout.predictions:
            payload = {"predictions": sorted(partitions), "outcomes": []}
        else:
            payload = {"predictions": [], "outcomes": sorted(p[0] for p in partitions), "all_predictions": True}
        marker = self.layout.pending / f"{uuid.uuid4().hex}.json"
        write_json_atomic(marker, payload)
        return marker

    def recover(self) -> None:
        """Bring rollups up to date after a writer that died; drop its staging and dot files."""
        shutil.rmtree(self.layout.staging, ignore_errors=True)
        for stale in self.layout.pending.glob(".tmp-*") if self.layout.pending.is_dir() else []:
            stale.unlink(missing_ok=True)   # a marker a crash cut short: its batch renamed nothing
        markers = sorted(self.layout.pending.glob("[!.]*.json")) if self.layout.pending.is_dir() else []
        if not markers:
            return
        log.warning("%d writer(s) of %s stopped midway: repairing their rollups", len(markers), self.layout.root)
        units: set[tuple[str, str]] = set()
        outcome_days: set[str] = set()
        for marker in markers:
            try:
                data = json.loads(marker.read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                log.warning("unreadable pending marker %s (%s): repairing every rollup", marker, exc)
                data = {"all_predictions": True, "all_outcomes": True}
            self._remove_leftovers(data)
            units |= self._marked_units(data)
            outcome_days |= self._marked_outcome_days(data)
        self.rollups.write(sorted(units), sorted(outcome_days))
        for marker in markers:
            marker.unlink(missing_ok=True)

    def _remove_leftovers(self, data: dict[str, Any]) -> None:
        folders = [self.layout.prediction_model_dir(m) / f"date={d}" for m, d in data.get("predictions", [])]
        folders += [self.layout.outcomes / f"date={d}" for d in data.get("outcomes", [])]
        for folder in folders:  # files the dead writer had not renamed yet
            for leftover in folder.glob(f"{NEW_PREFIX}*"):
                leftover.unlink(missing_ok=True)

    def _marked_units(self, data: dict[str, Any]) -> set[tuple[str, str]]:
        # Markers name dates; older ones named months: a month stands for its dates.
        units: set[tuple[str, str]] = set()
        for model_id, day in data.get("predictions", []):
            units |= ({(model_id, day)} if len(day) == 10 else
                      {u for u in self.catalog.prediction_days() if u[0] == model_id and u[1][:7] == day})
        if data.get("all_predictions"):
            units |= set(self.catalog.prediction_days())
        return units

    def _marked_outcome_days(self, data: dict[str, Any]) -> set[str]:
        days: set[str] = set()
        for day in data.get("outcomes", []):
            days |= {day} if len(day) == 10 else {d for d in self.catalog.outcome_days() if d[:7] == day}
        if data.get("all_outcomes"):
            days |= set(self.catalog.outcome_days())
        return days
