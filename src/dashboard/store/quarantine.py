"""Rejected rows kept with their reasons, one folder per ingest, so no bad input is lost."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard.store.files import write_json_atomic, write_parquet_atomic
from dashboard.store.layout import Layout


def quarantine_rows(layout: Layout, source: str, rejected: pd.DataFrame, problems: list[str],
                    raw_file: Path | None = None) -> Path:
    """Keep rejected rows (as text), the reasons and a copy of an unreadable file; returns the folder."""
    ingest_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    folder = layout.quarantine / ingest_id
    folder.mkdir(parents=True, exist_ok=True)
    if not rejected.empty:
        table = pa.Table.from_pandas(rejected.astype(str), preserve_index=False)
        write_parquet_atomic(folder / "rows.parquet", table)
    if raw_file is not None and raw_file.exists() and raw_file.is_file():
        safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in raw_file.name)
        shutil.copyfile(raw_file, folder / f"original-{safe_name}")
    write_json_atomic(folder / "errors.json", {"source": source, "rows": int(len(rejected)), "problems": problems})
    return folder


def count_quarantined(layout: Layout) -> int:
    return sum(1 for _ in layout.quarantine.glob("*/errors.json")) if layout.quarantine.is_dir() else 0


def quarantine_size(layout: Layout) -> tuple[int, int]:
    """(ingests, rows) kept in quarantine: one folder per ingest that rejected something."""
    ingests = rows = 0
    if not layout.quarantine.is_dir():
        return 0, 0
    for path in layout.quarantine.glob("*/errors.json"):
        ingests += 1
        try:
            rows += int(json.loads(path.read_text("utf-8")).get("rows", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            continue  # a folder being written or removed: counted as an ingest without rows
    return ingests, rows


def quarantine_signature(layout: Layout) -> int:
    """Changes when an ingest folder is added or removed (the folder's mtime; 0 without one)."""
    try:
        return layout.quarantine.stat().st_mtime_ns
    except FileNotFoundError:
        return 0
