"""Named queries behind the Decisions page: the queue, one application, overrides (read and written).

Raw prediction rows are read only by partition (model, date range) or by key
(application id); the page never scans the whole log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.contracts import DECISIONS
from dashboard.store.engine import quote, sql_literal
from dashboard.store.store import Store

OVERRIDE = "override"
QUEUE_COLUMNS = ("timestamp", "application_id", "decision", "score", "model_id", "prediction_id")
SORTS = {
    "newest first": "timestamp DESC, application_id",
    "oldest first": "timestamp ASC, application_id",
    "highest score first": "score DESC, timestamp DESC",
    "lowest score first": "score ASC, timestamp DESC",
}
APPROVED_SAMPLE_ROWS = 5_000
APPROVED_SAMPLE_DAYS = 90
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class QueueFilter:
    model_id: str
    start: dt.date
    end: dt.date
    decisions: tuple[str, ...] = ()        # empty: every decision
    score_min: float = 0.0
    score_max: float = 1.0
    application_id: str = ""              # a prefix; when given, every date of the model is searched
    sort: str = "newest first"


def decision_models(store: Store) -> pd.DataFrame:
    """Models with logged rows: first and last day, rows and decided rows (from r_daily)."""
    return store.sql("""
        SELECT model_id, min(date) AS first_day, max(date) AS last_day, sum(n)::BIGINT AS n,
               sum(n_approve + n_decline + n_review)::BIGINT AS n_decided
        FROM r_daily GROUP BY model_id ORDER BY n_decided DESC, model_id""")


def _where(flt: QueueFilter) -> tuple[str, list[Any]]:
    clauses = ["score >= ?", "score <= ?"]
    params: list[Any] = [float(flt.score_min), float(flt.score_max)]
    wanted = [d for d in flt.decisions if d in (*DECISIONS, "none")]
    if wanted:
        parts = []
        if "none" in wanted:
            parts.append("decision IS NULL")
        real = [d for d in wanted if d != "none"]
        if real:
            parts.append(f"decision IN ({', '.join('?' for _ in real)})")
            params += real
        clauses.append("(" + " OR ".join(parts) + ")")
    if flt.application_id.strip():
        clauses.append("starts_with(application_id, ?)")
        params.append(flt.application_id.strip())
    return " AND ".join(clauses), params


def decision_queue(store: Store, flt: QueueFilter, page: int = 0,
                   page_size: int = 50) -> tuple[pd.DataFrame, int]:
    """One page of the queue and the number of rows matching the filter.

    Reads only the model's date partitions in the window (all of its dates when searching
    by application id), and only the queue's columns.
    """
    if flt.sort not in SORTS:
        raise ValueError(f"unknown sort {flt.sort!r}; choose one of {', '.join(SORTS)}")
    searching = bool(flt.application_id.strip())
    files = store.prediction_files(flt.model_id, None if searching else flt.start, None if searching else flt.end)
    source = store.predictions_source(files)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in QUEUE_COLUMNS})
    if source is None:
        return empty, 0
    where, params = _where(flt)
    total = int(store.sql(f"SELECT count(*) AS n FROM {source} WHERE {where}", params)["n"].iloc[0])
    if total == 0:
        return empty, 0
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    offset = max(0, int(page)) * size
    frame = store.sql(
        f"SELECT {', '.join(QUEUE_COLUMNS)} FROM {source} WHERE {where} "
        f"ORDER BY {SORTS[flt.sort]} LIMIT {size} OFFSET {offset}", params)
    return frame, total


def application_rows(store: Store, application_id: str, day: dt.date | None = None,
                     model_hint: str | None = None) -> pd.DataFrame:
    """Every model's row for one application (deciding model first), all columns.

    With `day` only that date's partitions (and the day either side) are read. Without it,
    the application_id column of `model_hint`'s log (else every model's) is searched for
    the day; then full rows are read from the files that hold the application only.
    """
    key = str(application_id).strip()
    if not key:
        return pd.DataFrame()
    if day is None:
        day = _application_day(store, key, model_hint) if model_hint else None
        if day is None:
            day = _application_day(store, key, None)
        if day is None:
            return pd.DataFrame()
    files = store.prediction_files(None, day - dt.timedelta(days=1), day + dt.timedelta(days=1))
    hits = _files_holding(store, key, files)
    if not hits:
        return pd.DataFrame()
    frame = store.sql(f"SELECT * FROM {store.predictions_source(hits)} WHERE application_id = ? "
                      "ORDER BY decision IS NULL, timestamp, model_id", [key])
    return frame.reset_index(drop=True)


def _files_holding(store: Store, key: str, files: list[Path]) -> list[Path]:
    if not files:
        return []
    listing = "[" + ", ".join(sql_literal(str(f)) for f in files) + "]"
    hits = store.sql(f"SELECT DISTINCT filename FROM read_parquet({listing}, filename=true) "
                     "WHERE application_id = ?", [key])
    return [Path(f) for f in hits["filename"].astype(str)]


def _application_day(store: Store, key: str, model_id: str | None) -> dt.date | None:
    hits = _files_holding(store, key, store.prediction_files(model_id))
    days = sorted(p.parent.name[5:] for p in hits)
    return dt.date.fromisoformat(days[0]) if days else None


def feature_sample(store: Store, model_id: str, columns: list[str], rows: int = APPROVED_SAMPLE_ROWS,
                   decision: str | None = "approve", days: int = APPROVED_SAMPLE_DAYS) -> pd.DataFrame:
    """A bounded random sample of logged feature values from the model's latest days.

    Only the last `days` date partitions are read, so the cost does not grow with history.
    """
    files = store.prediction_files(model_id)
    if not files:
        return pd.DataFrame(columns=columns)
    last_days = sorted({f.parent.name for f in files})[-days:]
    keep = set(last_days)
    source = store.predictions_source([f for f in files if f.parent.name in keep])
    cols = ", ".join(quote(c) for c in columns) or "application_id"
    where = "WHERE decision = ?" if decision else ""
    params = [decision] if decision else []
    return store.sql(f"SELECT * FROM (SELECT {cols} FROM {source} {where}) "
                     f"USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE (7)", params)


def model_revision(store: Store, model_id: str) -> str:
    """Changes when the model is registered again (a cache key for its explainer)."""
    events = store.read_events("registration", where=lambda e: e.get("model_id") == model_id)
    card = store.load_card(model_id)
    return f"{card.version}:{events[-1]['id'] if events else 'none'}"


# ---------------------------------------------------------------------- overrides


def write_override(store: Store, application_id: str, model_id: str, from_decision: str | None,
                   to_decision: str, reason: str, actor: str, *, role: str | None = None) -> dict[str, Any]:
    """Append an override as an immutable event. The caller checks the role and the request
    (`services.overrides.record_override`)."""
    return store.append_event(OVERRIDE, {
        "application_id": str(application_id), "model_id": str(model_id),
        "from_decision": from_decision, "to_decision": to_decision, "reason": reason,
        **({"role": role} if role is not None else {}),
    }, actor=actor)


def override_history(store: Store, application_id: str) -> list[dict[str, Any]]:
    """The application's overrides, oldest first."""
    key = str(application_id)
    return store.read_events(OVERRIDE, where=lambda e: e.get("application_id") == key)


def latest_overrides(store: Store) -> dict[str, str]:
    """Application id -> the decision of its latest override."""
    out: dict[str, str] = {}
    for event in store.read_events(OVERRIDE):
        if event.get("application_id") and event.get("to_decision"):
            out[str(event["application_id"])] = str(event["to_decision"])
    return out
