"""Named queries behind drift: window histograms from rollups, samples, the reference data's files.

Everything here reads rollups (cost grows with days x bins) except the bounded random
samples for Evidently, which read only the date partitions of the chosen window, and the
model folder's files. The reference profile and the report are `services.drift`'s.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd

from dashboard.store.engine import quote
from dashboard.store.store import Store
from dashboard.store.windows import window_source

PERIODS = {"week": "week", "month": "month"}
MAX_SAMPLE_ROWS = 1_000_000  # a reservoir allocates its size up front: keep the bound sane


def log_date_range(store: Store, model_id: str) -> tuple[dt.date, dt.date] | None:
    """First and last day with predictions of this model."""
    frame = store.sql("SELECT min(date) AS lo, max(date) AS hi FROM r_daily WHERE model_id = ?", [model_id])
    if frame.empty or pd.isna(frame["lo"].iloc[0]):
        return None
    return pd.Timestamp(frame["lo"].iloc[0]).date(), pd.Timestamp(frame["hi"].iloc[0]).date()


def _feature_position_columns(store: Store) -> str:
    """sub and pos_sum of r_features, summed. A rollup written before has neither: pos_sum is then
    NULL (NaN), also where only some of a group's days lack it, and drift falls back to bin
    centers for the Wasserstein distance, saying so."""
    present = set(store.sql("SELECT * FROM r_features LIMIT 0").columns)
    if not {"sub", "pos_sum"} <= present:
        return "0 AS sub, sum(n)::BIGINT AS n, NULL::DOUBLE AS pos_sum"
    return ("coalesce(sub, 0)::INTEGER AS sub, sum(n)::BIGINT AS n, "
            "CASE WHEN count(pos_sum) = count(*) THEN sum(pos_sum)::DOUBLE END AS pos_sum")


def load_window_feature_histograms(store: Store, model_id: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per feature, bin and sub-bin: rows in [start, end] and their summed positions (bin -1 = missing)."""
    return store.sql(f"""
        SELECT feature, bin, {_feature_position_columns(store)} FROM r_features
        WHERE model_id = ? AND date BETWEEN ? AND ?
        GROUP BY ALL ORDER BY feature, bin, sub""", [model_id, start, end])


def load_feature_histograms_by_period(store: Store, model_id: str, period: str = "week") -> pd.DataFrame:
    """Per period (week or month start), feature and bin, over the whole history."""
    unit = PERIODS[period]
    return store.sql(f"""
        SELECT date_trunc('{unit}', date)::DATE AS period, feature, bin, sum(n)::BIGINT AS n
        FROM r_features WHERE model_id = ?
        GROUP BY ALL ORDER BY period, feature, bin""", [model_id])


def load_window_score_histogram(store: Store, model_id: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per score bin (1,000 on [0, 1]): rows, labelled rows and bads in [start, end]."""
    rows, params = window_source(store, "scores", start, end)
    return store.sql(f"""
        SELECT bin::INTEGER AS bin, sum(n)::BIGINT AS n, sum(n_labelled)::BIGINT AS n_labelled,
               sum(n_bad)::BIGINT AS n_bad
        FROM {rows} WHERE model_id = ?
        GROUP BY bin ORDER BY bin""", [*params, model_id])


def load_scores_by_period(store: Store, model_id: str, period: str = "month") -> pd.DataFrame:
    """Per period and score bin: rows, labelled rows and bads, over the whole history."""
    unit = PERIODS[period]
    table = "r_scores_month" if unit == "month" else "r_scores"  # months summed once per load
    return store.sql(f"""
        SELECT date_trunc('{unit}', date)::DATE AS period, bin::INTEGER AS bin, sum(n)::BIGINT AS n,
               sum(n_labelled)::BIGINT AS n_labelled, sum(n_bad)::BIGINT AS n_bad
        FROM {table} WHERE model_id = ?
        GROUP BY ALL ORDER BY period, bin""", [model_id])


def load_decisions_by_period(store: Store, model_id: str, period: str = "week") -> pd.DataFrame:
    """Per period: rows and decisions actually taken on this model's scores."""
    unit = PERIODS[period]
    return store.sql(f"""
        SELECT date_trunc('{unit}', date)::DATE AS period, sum(n)::BIGINT AS n,
               sum(n_approve)::BIGINT AS n_approve, sum(n_decline)::BIGINT AS n_decline,
               sum(n_review)::BIGINT AS n_review, sum(n_undecided)::BIGINT AS n_undecided
        FROM r_daily WHERE model_id = ? GROUP BY ALL ORDER BY period""", [model_id])


def reference_signature(store: Store, model_id: str) -> tuple[float, ...]:
    """Modification times of the model's reference data, its description, bins and artifact (0 when
    absent): changes when any of them is replaced, a cache key for what is computed from them."""
    mdir = store.layout.model_dir(model_id)
    out = []
    for name in ("reference.parquet", "reference.json", "bins.json", "model.skops"):
        path = mdir / name
        out.append(path.stat().st_mtime if path.exists() else 0.0)
    return tuple(out)


def artifact_mtime(store: Store, model_id: str) -> float | None:
    """The modification time of the model's stored artifact (model.skops); None when none is stored."""
    try:
        return (store.layout.model_dir(model_id) / "model.skops").stat().st_mtime
    except FileNotFoundError:
        return None


def read_reference_info(store: Store, model_id: str) -> dict[str, Any] | None:
    """What the registered reference data is (reference.json, written at registration); None for a
    model registered before that file existed, or when it cannot be read."""
    try:
        data = json.loads((store.layout.model_dir(model_id) / "reference.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def reference_stored_on(store: Store, model_id: str) -> dt.date:
    """The day the model's reference data file was written (UTC)."""
    path = store.layout.model_dir(model_id) / "reference.parquet"
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()


def sample_window_rows(store: Store, model_id: str, start: dt.date, end: dt.date, rows: int,
                       columns: list[str], seed: int = 7) -> pd.DataFrame:
    """A bounded random sample of raw log rows in [start, end], with the label when known.

    Reads only the window's date partitions; the SAMPLE clause bounds what reaches pandas.
    """
    files = store.prediction_files(model_id, start, end)
    source = store.predictions_source(files)
    if source is None or rows <= 0:
        return pd.DataFrame(columns=[*columns, "score", "label"])
    present = set(store.sql(f"DESCRIBE SELECT * FROM {source}")["column_name"])
    wanted = [c for c in columns if c in present]
    cols = ", ".join(["p.application_id", "p.score", *(f"p.{quote(c)}" for c in wanted)])
    bound = min(int(rows), MAX_SAMPLE_ROWS)
    sampled = (f"SELECT {cols} FROM {source} p WHERE p.date BETWEEN ? AND ? "
               f"USING SAMPLE reservoir({bound} ROWS) REPEATABLE ({int(seed)})")
    outcomes = store.outcomes_source()
    if outcomes is None:
        frame = store.sql(f"SELECT * EXCLUDE (application_id), NULL::INTEGER AS label FROM ({sampled})",
                          [start, end])
    else:
        frame = store.sql(f"""
            WITH s AS ({sampled})
            SELECT s.* EXCLUDE (application_id), o.label FROM s LEFT JOIN (
                SELECT application_id, arg_max(label, outcome_timestamp) AS label FROM {outcomes}
                WHERE application_id IN (SELECT application_id FROM s) GROUP BY 1) o USING (application_id)""",
                          [start, end])
    for c in columns:
        if c not in frame.columns:
            frame[c] = np.nan  # a feature absent from the logs stays visible as all-missing
    return frame[[*columns, "score", "label"]]
