"""Where things live inside a store folder (docs/ARCHITECTURE.md, "The store")."""

from __future__ import annotations

from pathlib import Path

from dashboard.contracts import check_id

ROLLUP_KINDS = ("daily", "scores", "groups", "features", "latency", "shadow", "segments")
OUTCOME_ROLLUP = "outcomes"
# Rollups that also keep a month grain, <kind>_month (keys besides model and day): one file per
# model and month, written with the day rollup's month file, loaded as r_<kind>_month. A window's
# whole months are read from it: 30x fewer rows than the days, and about as many on a sparse
# store as on a full one.
MONTH_ROLLUP_KEYS = {"scores": ("decision", "bin"), "groups": ("attribute", "grp", "decision", "bin"),
                     "segments": ("segment", "value", "bin")}
MONTH_KINDS = tuple(f"{kind}_month" for kind in MONTH_ROLLUP_KEYS)
# Every rollup table a query can name (r_<kind>).
TABLE_KINDS = (*ROLLUP_KINDS, *MONTH_KINDS, OUTCOME_ROLLUP)


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def predictions(self) -> Path:
        return self.root / "predictions"

    @property
    def outcomes(self) -> Path:
        return self.root / "outcomes"

    @property
    def events(self) -> Path:
        return self.root / "events"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def rollups(self) -> Path:
        return self.root / "rollups"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def staging(self) -> Path:
        return self.root / ".staging"

    @property
    def pending(self) -> Path:
        return self.rollups / ".pending"

    @property
    def rollup_format(self) -> Path:
        """What the rollup files hold (a version), so an older store is rebuilt, not misread."""
        return self.rollups / "FORMAT.json"

    @property
    def id_index(self) -> Path:
        """Per log file id ranges (store/id_index.py): derived, rebuilt from the files when missing."""
        return self.root / "index" / "ids"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    def model_dir(self, model_id: str) -> Path:
        return self.models / check_id(model_id)

    def prediction_model_dir(self, model_id: str) -> Path:
        return self.predictions / f"model_id={check_id(model_id)}"

    def rollup_files(self, kind: str) -> list[Path]:
        """A rollup's month files (every model), written ones only."""
        base = self.rollups / kind
        if not base.is_dir():
            return []
        # pathlib's glob matches dot files: skip the writers' half-written .tmp-* files.
        pattern = "*.parquet" if kind == OUTCOME_ROLLUP else "*/*.parquet"
        return sorted(p for p in base.glob(pattern) if not p.name.startswith("."))

    def rollup_file(self, kind: str, model_id: str, month: str) -> Path:
        return self.rollups / kind / check_id(model_id) / f"{month}.parquet"

    def outcome_rollup_file(self, month: str) -> Path:
        return self.rollups / OUTCOME_ROLLUP / f"{month}.parquet"

    def event_dir(self, kind: str) -> Path:
        return self.events / check_id(kind, "event kind")
