"""Request bodies: a JSON object, a JSON array or JSON Lines (records); Arrow IPC or Parquet (a table)."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.errors import DashboardError

JSON_TYPES = ("application/json", "")
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines")
ARROW_TYPES = ("application/vnd.apache.arrow.stream", "application/vnd.apache.arrow.file")
PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet", "application/parquet")
ACCEPTED = (*JSON_TYPES[:1], *JSONL_TYPES, *ARROW_TYPES, *PARQUET_TYPES)

Records = list[dict[str, Any]]


class BodyError(DashboardError, ValueError):
    """A body that cannot be read; `status` is 400 (malformed) or 415 (an unknown content type)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def read_body(content_type: str | None, body: bytes) -> Records | pa.Table:
    """Records from JSON, a table from Arrow or Parquet."""
    kind = media_type(content_type)
    if kind in JSON_TYPES:
        return _records(_json(body))
    if kind in JSONL_TYPES:
        lines = [line for line in body.splitlines() if line.strip()]
        return [_record(_json(line), n) for n, line in enumerate(lines, start=1)]
    try:
        if kind in ARROW_TYPES:
            reader = pa.ipc.open_stream if kind.endswith("stream") else pa.ipc.open_file
            return reader(pa.BufferReader(body)).read_all()
        if kind in PARQUET_TYPES:
            return pq.read_table(io.BytesIO(body))
    except (pa.ArrowInvalid, OSError) as exc:
        raise BodyError(f"the {kind} body cannot be read: {exc}") from None
    raise BodyError(f"unsupported content type {kind!r}; send one of {', '.join(ACCEPTED)}", status=415)


def _json(text: bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"the body is not valid JSON: {exc}") from None


def _record(value: Any, line: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BodyError(f"line {line} is not a JSON object")
    return value


def _records(value: Any) -> Records:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise BodyError("the body must be a JSON object (one row) or an array of objects")
