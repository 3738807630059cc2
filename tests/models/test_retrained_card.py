"""The estimator a retraining fits and the card it generates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import StackingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

from dashboard.models.artifact import load_model
from dashboard.models.card import dump_card_yaml, parse_card_yaml
from dashboard.models.estimators import EstimatorError, build_estimator
from dashboard.models.lineage import REJECT_INFERENCE, Lineage, build_retrained_card

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "models"


def _source(model_id: str = "gbm_champion") -> tuple[Any, Any]:
    card = parse_card_yaml((SAMPLE / model_id / "card.yaml").read_text("utf-8"))
    return card, load_model((SAMPLE / model_id / "model.skops").read_bytes())


def test_same_is_an_unfitted_clone_of_the_source_pipeline() -> None:
    card, model = _source()
    est = build_estimator("same", card, model)
    assert est is not model
    assert type(est) is type(model)
    assert repr(est.get_params()["model"]) == repr(model.get_params()["model"])   # the same hyperparameters
    with pytest.raises(Exception, match="not fitted"):
        check_is_fitted(est)


def test_refresh_keeps_the_source_frozen() -> None:
    card, model = _source()
    est = build_estimator("refresh", card, model)
    assert isinstance(est, StackingClassifier)
    frozen = dict(est.estimators)["source"]
    assert isinstance(frozen, FrozenEstimator) and frozen.estimator is model


class _Uncloneable(ClassifierMixin, BaseEstimator):
    def __init__(self, c: float = 1.0) -> None:
        self.c = c * 2   # the constructor changes its parameter: scikit-learn's clone refuses it

    def predict_proba(self, x: Any) -> np.ndarray:
        return np.full((len(x), 2), 0.5)


def test_a_pipeline_that_cannot_be_cloned_is_refused() -> None:
    card, _ = _source()
    with pytest.raises(EstimatorError, match="cannot be cloned"):
        build_estimator("same", card, _Uncloneable())
    with pytest.raises(EstimatorError, match="no registered artifact"):
        build_estimator("same", card, None)
    with pytest.raises(EstimatorError, match="unknown algorithm"):
        build_estimator("xgboost", card, None)


def test_the_card_carries_lineage_the_bias_and_what_a_reviewer_must_fill() -> None:
    card, _ = _source()
    lin = Lineage(source=card, new_id="gbm_rt", algorithm="same", algorithm_text="GBM refitted",
                  window=("2026-04-01", "2026-10-31"), train_months=("2026-04", "2026-05"),
                  valid_months=("2026-06",), rows=1994, bads=305,
                  files=(("predictions/model_id=gbm_champion/date=2026-04-01/part-a.parquet", 180),),
                  files_sha256="f" * 64, rows_sha256="r" * 64,
                  validation={"summary": {"auc": 0.68, "calibration_ratio": 0.83}, "detail": {"rows": 710}},
                  created_by="cli:test", created_at="2026-12-05T09:00:00")
    new = build_retrained_card(lin)
    assert new.id == "gbm_rt" and new.role == "challenger"
    assert [(f.name, f.direction, f.reason_template) for f in new.features] == \
        [(f.name, f.direction, f.reason_template) for f in card.features]
    assert REJECT_INFERENCE in new.limitations
    assert new.training["window"] == {"start": "2026-04-01", "end": "2026-10-31"}
    assert new.training["rows"] == 1994 and new.training["bads"] == 305
    assert new.training["fingerprint"]["files"][0]["rows"] == 180
    assert new.extra["lineage"]["source_model"] == "gbm_champion"
    assert new.extra["validation"]["months"] == ["2026-06"]
    assert any(m.startswith("review.approved_by") for m in new.extra["review"]["missing"])
    assert new.missing_recommended() == list(new.extra["review"]["missing"])   # shown as missing on Model cards
    assert new.validation_metrics["auc"] == 0.68
    assert parse_card_yaml(dump_card_yaml(new)) == new     # it round-trips through the card file
