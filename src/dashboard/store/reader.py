"""Reading user files (CSV, Parquet, JSON Lines) into pandas with readable errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.errors import DashboardError

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
           ".ndjson": "jsonl", ".json": "jsonl"}


class InputFileError(DashboardError, ValueError):
    """A whole file that cannot be read; the message says what to do."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{path}: {message}")


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(path, f"unknown file type '{path.suffix}'; use .csv, .parquet or .jsonl")
    return fmt


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a whole file. CSV and JSON Lines cells come back as strings (object) so that
    validation can name each bad cell; Parquet keeps its own types."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    if path.is_dir():
        raise InputFileError(path, "is a folder; give the files inside it")
    fmt = detect_format(path)
    if path.stat().st_size == 0:
        raise InputFileError(path, "the file is empty (0 bytes); nothing to ingest")
    if fmt == "parquet":
        return _read_parquet(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            path,
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}; "
            "save the file as UTF-8 and ingest it again",
        ) from None
    if not text.strip():
        raise InputFileError(path, "the file holds no rows")
    return _read_csv(path, text) if fmt == "csv" else _read_jsonl(path, text)


def read_arrow_table(path: Path | str) -> pa.Table | None:
    """A Parquet file as Arrow (for ingest's fast path); None for other formats."""
    path = Path(path)
    if not path.is_file() or detect_format(path) != "parquet" or path.stat().st_size == 0:
        return None
    return _read_parquet_arrow(path)


def _read_parquet_arrow(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(
            path, f"not a readable Parquet file (truncated or corrupt?): {exc}"
        ) from None
    if table.num_rows == 0:
        raise InputFileError(path, "the Parquet file has no rows")
    return table


def _read_parquet(path: Path) -> pd.DataFrame:
    return _read_parquet_arrow(path).to_pandas()


def _read_csv(path: Path, text: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            na_values=[""], skipinitialspace=False)
    except pd.errors.ParserError as exc:
        raise InputFileError(path, f"not a well-formed CSV: {exc}") from None
    except pd.errors.EmptyDataError:
        raise InputFileError(path, "the CSV has no header row") from None
    if frame.empty:
        raise InputFileError(path, "the CSV has a header but no rows")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    if unnamed:
        raise InputFileError(path, f"the header has {len(unnamed)} empty column name(s)")
    return frame


def _read_jsonl(path: Path, text: str) -> pd.DataFrame:
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(path, f"line {lineno} is not valid JSON: {exc.msg}") from None
        if not isinstance(obj, dict):
            raise InputFileError(path, f"line {lineno} is not a JSON object")
        rows.append(obj)
    if not rows:
        raise InputFileError(path, "the file holds no rows")
    frame = pd.DataFrame(rows)
    # Keep JSON's own numbers but let validation treat every cell the same way.
    return frame.astype(object).where(frame.notna(), None)
