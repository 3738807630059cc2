"""Evidently on small samples: HTML out, classification only with labels, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.evidently_report import EvidentlyInputError, compute_evidently_report


def _sample(rng: np.random.Generator, n: int, shift: float, labelled: float) -> pd.DataFrame:
    frame = pd.DataFrame({"x": rng.normal(shift, 1, n), "empty": np.nan,
                          "c": rng.choice(["a", "b"], n), "score": rng.beta(2, 10, n)})
    frame["label"] = (rng.random(n) < frame["score"]).astype(float)
    frame.loc[rng.random(n) > labelled, "label"] = np.nan
    return frame


@pytest.mark.slow
def test_report_with_and_without_labels() -> None:
    rng = np.random.default_rng(1)
    ref, cur = _sample(rng, 1500, 0.0, 1.0), _sample(rng, 1500, 0.5, 0.4)
    result = compute_evidently_report(ref, cur, ["x", "empty"], ["c"], threshold=0.15)
    assert result.drift_html.lstrip().startswith("<!DOCTYPE html>")
    assert result.classification_html is not None and "<html" in result.classification_html
    assert (result.reference_rows, result.current_rows) == (1500, 1500)
    assert result.labelled_reference == 1500 and 0 < result.labelled_current < 1500
    assert any("empty" in n for n in result.notes)  # an all-missing column is left out, and said so
    unlabelled = compute_evidently_report(ref, cur.assign(label=np.nan), ["x"], ["c"])
    assert unlabelled.classification_html is None
    assert any("classification report skipped" in n for n in unlabelled.notes)


def test_too_few_rows_is_a_clear_error() -> None:
    rng = np.random.default_rng(2)
    with pytest.raises(EvidentlyInputError, match="at least"):
        compute_evidently_report(_sample(rng, 10, 0, 1), _sample(rng, 1000, 0, 1), ["x"], ["c"])
