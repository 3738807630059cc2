"""Evidently's reports on bounded samples (pure: DataFrames in, HTML strings out).

Evidently is slow on big frames (about 124 s for 1M + 1M rows x 20 columns here), so the
dashboard computes its own drift from rollups and runs Evidently on samples for its rich
per-column report.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.errors import DashboardError

MIN_ROWS = 30          # Evidently's statistical tests need a few rows per side
MIN_LABELLED = 100     # and the classification preset a few labelled rows with both classes


@dataclass(frozen=True)
class EvidentlyResult:
    drift_html: str
    classification_html: str | None
    reference_rows: int
    current_rows: int
    labelled_reference: int
    labelled_current: int
    notes: tuple[str, ...] = ()


class EvidentlyInputError(DashboardError, ValueError):
    """The samples cannot be compared; the message says why."""


def _labelled(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    out = frame[frame[label].notna()].copy()
    out[label] = out[label].astype(int)
    return out


def compute_evidently_report(reference: pd.DataFrame, current: pd.DataFrame, numeric: Sequence[str],
                             categorical: Sequence[str], score: str = "score",
                             label: str = "label", threshold: float = 0.5) -> EvidentlyResult:
    """DataDriftPreset on the features and score; ClassificationPreset when both sides have labels.

    The classification part runs on the labelled rows only (in the logs: approved loans
    whose outcome has matured), so it is a second report; `threshold` turns scores into
    predicted classes (the policy cutoff).
    """
    if len(reference) < MIN_ROWS or len(current) < MIN_ROWS:
        raise EvidentlyInputError(f"the samples hold {len(reference):,} reference and {len(current):,} current "
                                  f"rows; Evidently needs at least {MIN_ROWS} on each side")
    notes: list[str] = []
    # Columns that are entirely missing on either side break Evidently's tests: leave them out.
    num = [c for c in numeric if reference[c].notna().any() and current[c].notna().any()]
    cat = [c for c in categorical if reference[c].notna().any() and current[c].notna().any()]
    dropped = sorted(set(numeric) - set(num) | set(categorical) - set(cat))
    if dropped:
        notes.append("left out (all missing on one side): " + ", ".join(dropped))
    columns = [*num, *cat, score]
    with warnings.catch_warnings():
        # sklearn warns on ill-defined precision in small samples; the report shows the zeros.
        warnings.simplefilter("ignore")
        return _run(reference, current, num, cat, columns, score, label, threshold, notes)


def _run(reference: pd.DataFrame, current: pd.DataFrame, num: list[str], cat: list[str], columns: list[str],
         score: str, label: str, threshold: float, notes: list[str]) -> EvidentlyResult:
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset

    def _frame(data: pd.DataFrame) -> pd.DataFrame:
        out = data[columns].copy()
        for c in cat:
            out[c] = out[c].astype("string")
        for c in (*num, score):
            out[c] = pd.to_numeric(out[c], errors="coerce")
        return out

    definition = DataDefinition(numerical_columns=[*num, score], categorical_columns=cat)
    drift = Report([DataDriftPreset(columns=columns)]).run(
        current_data=Dataset.from_pandas(_frame(current), data_definition=definition),
        reference_data=Dataset.from_pandas(_frame(reference), data_definition=definition))
    drift_html = drift.get_html_str(as_iframe=False)

    ref_lab, cur_lab = _labelled(reference, label), _labelled(current, label)
    classification_html = None
    enough = all(len(f) >= MIN_LABELLED and f[label].nunique() == 2 for f in (ref_lab, cur_lab))
    if enough:
        cls_def = DataDefinition(numerical_columns=[score], categorical_columns=[label],
                                 classification=[BinaryClassification(target=label, prediction_probas=score)])
        cls = Report([ClassificationPreset(probas_threshold=threshold)]).run(
            current_data=Dataset.from_pandas(cur_lab[[score, label]], data_definition=cls_def),
            reference_data=Dataset.from_pandas(ref_lab[[score, label]], data_definition=cls_def))
        classification_html = cls.get_html_str(as_iframe=False)
    else:
        notes.append(f"classification report skipped: {len(ref_lab):,} reference and {len(cur_lab):,} current "
                     f"labelled rows in the samples (needs {MIN_LABELLED}+ with both outcomes on each side)")
    return EvidentlyResult(drift_html, classification_html, len(reference), len(current),
                           len(ref_lab), len(cur_lab), tuple(notes))
