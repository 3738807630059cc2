"""Per-bin arrays behind the threshold levers, read from the score and group rollups.

The queries group the decision x bin rollups of a window into at most 4 x 1,000 score rows
and attributes x groups x 100 group rows. Whole months are read from the month tables and
only the partial months at the ends day by day, so the cost grows with months and bins,
never with the number of applications.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.analytics.money import MONEY_COLUMNS
from dashboard.analytics.thresholds import (
    GroupBins,
    ScoreBins,
    ThresholdBins,
    make_group_bins,
    make_score_bins,
)
from dashboard.store.store import Store
from dashboard.store.windows import window_source


def load_score_bins(store: Store, model_id: str, start: dt.date | None = None,
                    end: dt.date | None = None) -> ScoreBins:
    source, params = window_source(store, "scores", start, end)
    sums = ", ".join(f"coalesce(sum({c}), 0)::DOUBLE AS {c}" for c in MONEY_COLUMNS)
    frame = store.sql(f"SELECT decision, bin, {sums} FROM {source} WHERE model_id = ? GROUP BY decision, bin",
                      [*params, model_id])
    return make_score_bins(model_id, frame, start, end)


def load_group_bins(store: Store, model_id: str, attributes: list[str] | tuple[str, ...],
                    start: dt.date | None = None, end: dt.date | None = None) -> GroupBins:
    if not attributes:
        return GroupBins()
    source, params = window_source(store, "groups", start, end)
    marks = ", ".join("?" for _ in attributes)
    frame = store.sql(f"""
        SELECT attribute, grp, bin, sum(n)::DOUBLE AS n
        FROM {source} WHERE model_id = ? AND attribute IN ({marks})
        GROUP BY attribute, grp, bin""", [*params, model_id, *attributes])
    return make_group_bins(frame, list(attributes))


def load_threshold_bins(store: Store, model_id: str, start: dt.date | None = None,
                        end: dt.date | None = None) -> ThresholdBins:
    """Score and protected-group arrays of one model over [start, end] (None: open end)."""
    card = store.load_card(model_id)
    return ThresholdBins(scores=load_score_bins(store, model_id, start, end),
                         groups=load_group_bins(store, model_id, card.protected_attributes, start, end))


def load_score_dates(store: Store, model_id: str) -> tuple[dt.date, dt.date] | None:
    """First and last day with scores for the model (None when it has none)."""
    frame = store.sql("SELECT min(date) AS lo, max(date) AS hi FROM r_daily WHERE model_id = ?", [model_id])
    if frame.empty or pd.isna(frame["lo"].iloc[0]):
        return None
    return pd.Timestamp(frame["lo"].iloc[0]).date(), pd.Timestamp(frame["hi"].iloc[0]).date()


def load_label_maturity(store: Store, model_id: str) -> pd.DataFrame:
    """Per month: applications, approved and approved with a matured outcome (for the backtest window)."""
    return store.sql("""
        SELECT date_trunc('month', date) AS month, sum(n)::BIGINT AS applications,
               sum(n_approve)::BIGINT AS approved, sum(n_labelled)::BIGINT AS labelled
        FROM r_daily WHERE model_id = ? GROUP BY 1 ORDER BY 1""", [model_id])
