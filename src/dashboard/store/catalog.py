"""The log files of a store: which Parquet files hold predictions and outcomes, by model and
day, and the SQL sources that read them (one glob per partition folder)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from dashboard.store.engine import parquet_list
from dashboard.store.layout import Layout

PART_GLOB = "part-*.parquet"  # data files; temporary files start with a dot and never match
NEW_PREFIX = ".new-"          # a data file written but not yet renamed into place


def month_of(day: dt.date | str) -> str:
    return str(day)[:7]


def partition_globs(files: Sequence[Path]) -> str:
    """One glob per partition folder: what the folder holds at query time, not a stale list."""
    folders = sorted({str(Path(f).parent) for f in files})
    return parquet_list([f"{d}/{PART_GLOB}" for d in folders])


def prediction_source(files: Sequence[Path]) -> str:
    return (f"read_parquet({partition_globs(files)}, hive_partitioning=true, union_by_name=true, "
            "hive_types={'model_id': 'VARCHAR', 'date': 'DATE'})")


def outcome_source(files: Sequence[Path], globs: bool = True) -> str:
    listed = partition_globs(files) if globs else parquet_list(files)
    return f"read_parquet({listed}, hive_partitioning=true, union_by_name=true, hive_types={{'date': 'DATE'}})"


class LogCatalog:
    """Lists the store's log files; never reads them."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def prediction_files(self, model_id: str | None = None, start: dt.date | str | None = None,
                         end: dt.date | str | None = None) -> list[Path]:
        """Parquet files of the prediction log, pruned by model and date partition."""
        base = self.layout.predictions
        model_dirs = ([self.layout.prediction_model_dir(model_id)] if model_id is not None
                      else sorted(base.glob("model_id=*")))
        lo, hi = (str(start)[:10] if start else None), (str(end)[:10] if end else None)
        out: list[Path] = []
        for mdir in model_dirs:
            if not mdir.is_dir():
                continue
            for ddir in sorted(mdir.glob("date=*")):
                day = ddir.name[5:]
                if (lo and day < lo) or (hi and day > hi):
                    continue
                out.extend(sorted(ddir.glob(PART_GLOB)))
        return out

    def prediction_models(self) -> list[str]:
        """Models with a prediction folder."""
        return sorted(d.name[len("model_id="):] for d in self.layout.predictions.glob("model_id=*") if d.is_dir())

    def day_files(self, model_id: str, days: Sequence[str]) -> list[Path]:
        mdir = self.layout.prediction_model_dir(model_id)
        return [f for d in days for f in sorted((mdir / f"date={d}").glob(PART_GLOB))]

    def has_day(self, model_id: str, day: str) -> bool:
        return any((self.layout.prediction_model_dir(model_id) / f"date={day}").glob(PART_GLOB))

    def outcome_files(self, days: Sequence[str] | None = None) -> list[Path]:
        if days is None:
            return sorted(self.layout.outcomes.glob(f"date=*/{PART_GLOB}"))
        return [f for d in days for f in sorted((self.layout.outcomes / f"date={d}").glob(PART_GLOB))]

    def predictions_source(self, files: Sequence[Path] | None = None) -> str | None:
        """A FROM clause over prediction files (None when there are none)."""
        files = self.prediction_files() if files is None else files
        return prediction_source(files) if files else None

    def outcomes_source(self) -> str | None:
        files = self.outcome_files()
        return outcome_source(files) if files else None

    def prediction_days(self) -> list[tuple[str, str]]:
        """Every (model, day) partition that holds data."""
        units = set()
        for mdir in self.layout.predictions.glob("model_id=*"):
            for ddir in mdir.glob("date=*"):
                if any(ddir.glob(PART_GLOB)):
                    units.add((mdir.name[len("model_id="):], ddir.name[5:]))
        return sorted(units)

    def outcome_days(self) -> list[str]:
        return sorted({d.name[5:] for d in self.layout.outcomes.glob("date=*") if any(d.glob(PART_GLOB))})
