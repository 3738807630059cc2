"""Reads of the `segments` rollup: one segment column's histograms over a window, and the columns
a model's rollups hold."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.analytics.segments import SegmentSpec
from dashboard.store.store import Store
from dashboard.store.windows import window_source


def load_segment_histogram(store: Store, model_id: str, column: str, start: dt.date,
                           end: dt.date) -> pd.DataFrame:
    """Per value and score bin (100) of one segment column in [start, end]: volumes, decisions,
    matured outcomes and the matured rows' scores in millionths."""
    rows, params = window_source(store, "segments", start, end)
    return store.sql(f"""
        SELECT value, bin::INTEGER AS bin, sum(n)::BIGINT AS n, sum(n_decided)::BIGINT AS n_decided,
               sum(n_approve)::BIGINT AS n_approve, sum(n_labelled)::BIGINT AS n_labelled,
               sum(n_bad)::BIGINT AS n_bad, sum(score_micro_labelled)::BIGINT AS score_micro_labelled
        FROM {rows} WHERE model_id = ? AND segment = ?
        GROUP BY ALL ORDER BY value, bin""", [*params, model_id, column])


def load_segment_specs(store: Store, model_id: str) -> dict[str, SegmentSpec]:
    """How each segment column of the model became values when first seen (empty: none yet)."""
    return store.models.segment_specs(model_id)


def load_rolled_up_columns(store: Store, model_id: str) -> list[str]:
    """The segment columns the model's rollups hold (any day)."""
    frame = store.sql("SELECT DISTINCT segment FROM r_segments_month WHERE model_id = ? ORDER BY 1", [model_id])
    return [str(v) for v in frame["segment"]]
