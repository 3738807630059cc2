"""Rejected rows kept with their reasons, one folder per ingest, so no bad input is lost."""

from __future__ import annotations

import datetime as dt
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
