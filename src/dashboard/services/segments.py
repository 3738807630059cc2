"""Segment figures of one model: per value of a segment column, over a period, with the PSI
against the period before and the ranking of where the model fails (analytics/segments.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboard.analytics.periods import Period, parse_period, previous_period
from dashboard.analytics.segments import (
    RANKED,
    SEGMENT_SCORE_BINS,
    compute_segment_figures,
    rank_failing,
    segment_columns,
)
from dashboard.errors import DashboardError
from dashboard.store import Store
from dashboard.store.impact import load_data_span
from dashboard.store.segments import load_segment_histogram, load_segment_specs

DEFAULT_PERIOD = "last-12m"  # long enough to hold matured outcomes (they arrive 3 to 12 months later)


class SegmentError(DashboardError, ValueError):
    """A segment column or period that cannot be reported on; the message says what can."""


@dataclass(frozen=True)
class SegmentReport:
    model_id: str
    column: str
    columns: list[str]          # the model's segment columns
    source: str                 # where they come from: the card, or the stated default
    grouping: str               # how the column became values
    period: Period
    reference: Period           # the PSI's reference: the period before
    figures: pd.DataFrame       # analytics.segments.compute_segment_figures
    failing: dict[str, pd.DataFrame] = field(default_factory=dict)  # metric -> rank_failing
    notes: list[str] = field(default_factory=list)


def load_segment_columns(store: Store, model_id: str) -> tuple[list[str], str]:
    """The model's segment columns (declared in its card, or the default) and where they come from."""
    return segment_columns(store.load_card(model_id))


def resolve_period(store: Store, model_id: str, text: str | None) -> Period:
    """`text` in the window syntax (None: DEFAULT_PERIOD), `last-` anchored on the model's newest day."""
    span = load_data_span(store, model_id)
    return parse_period(text or DEFAULT_PERIOD, span[1] if span else None)


def build_segment_report(store: Store, model_id: str, column: str, period: Period) -> SegmentReport:
    """Figures per value of `column` in `period`; raises SegmentError for a column that is not a
    segment column of the model or was never logged."""
    columns, source = load_segment_columns(store, model_id)
    if column not in columns:
        raise SegmentError(f"{column!r} is not a segment column of {model_id}; its segment columns: "
                           f"{', '.join(columns) or 'none'} ({source})")
    spec = load_segment_specs(store, model_id).get(column)
    if spec is None:
        raise SegmentError(f"segment column {column!r} of {model_id} is in none of its prediction logs "
                           "(or the rollups predate segments: run `dashboard rollup rebuild`)")
    reference = previous_period(period)
    hist = load_segment_histogram(store, model_id, column, period.start, period.end)
    ref = load_segment_histogram(store, model_id, column, reference.start, reference.end)
    figures = compute_segment_figures(hist, ref)
    notes = [f"Segment columns: {source}.",
             f"Score PSI: each value's scores in {period.label} against the same value's in {reference.label} "
             f"({SEGMENT_SCORE_BINS} score bins).",
             "AUC +-b: the exact AUC lies within b of the AUC shown (score pairs tied in a 0.01 bin); intervals are 95%."]
    if outdated := store.rollups_outdated():
        notes.append(outdated)
    if hist.empty:
        notes.append(f"No prediction of {model_id} in {period.label}.")
    return SegmentReport(model_id, column, columns, source, spec.describe(), period, reference, figures,
                         {m: rank_failing(figures, m) for m in RANKED}, notes)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN as None, numpy scalars as Python ones)."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def segment_report_dict(report: SegmentReport) -> dict[str, Any]:
    return {"model_id": report.model_id, "column": report.column, "segment_columns": report.columns,
            "segment_columns_source": report.source, "grouping": report.grouping,
            "period": {"label": report.period.label, "start": str(report.period.start), "end": str(report.period.end)},
            "psi_reference": {"label": report.reference.label, "start": str(report.reference.start),
                              "end": str(report.reference.end)},
            "segments": records(report.figures),
            "where_failing": {m: records(f) for m, f in report.failing.items()}, "notes": report.notes}
