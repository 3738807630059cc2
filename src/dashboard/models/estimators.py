"""The estimator a retraining fits: the source model's pipeline cloned, or a fresh one of a named kind.

"same" is scikit-learn's `clone` of the source model (hyperparameters and preprocessing kept,
fitted state dropped), so a validator sees the same specification refitted on new data.
"logistic" and "hgb" build a pipeline from the card's features alone: numeric columns imputed
(median, with a missing indicator), categorical ones one-hot encoded with the card's categories.
"refresh" keeps the source model frozen and stacks it with a fresh logistic pipeline, combined by
a logistic regression fitted out of fold: the ranking learnt on the large development sample is
kept and the shift of the new window is learnt on top (the usual refresh when few loans have
matured since a drift; a full refit on them loses more to noise than it gains).
"""

from __future__ import annotations

from typing import Any

from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, StackingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from dashboard.errors import DashboardError
from dashboard.models.card import ModelCard

ALGORITHMS = ("same", "logistic", "hgb", "refresh")
ALGORITHM_TEXT = {
    "logistic": "sklearn LogisticRegression (C=0.5) on median-imputed, standardised and one-hot features",
    "hgb": "sklearn HistGradientBoostingClassifier (200 iterations, 15 leaves) on imputed and one-hot features",
    "refresh": "sklearn StackingClassifier: the source model frozen and a fresh LogisticRegression on the card's "
               "features, combined by a LogisticRegression fitted on 5-fold out-of-fold probabilities",
}


class EstimatorError(DashboardError, ValueError):
    """No estimator can be built for the retraining asked for; the message says why."""


def build_estimator(algorithm: str, card: ModelCard, source_model: Any | None) -> Any:
    """An unfitted estimator for `algorithm` (one of ALGORITHMS)."""
    if algorithm == "same":
        return clone_source(card.id, source_model)
    if algorithm not in ALGORITHM_TEXT:
        raise EstimatorError(f"unknown algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")
    if algorithm == "refresh":
        if source_model is None:
            raise EstimatorError(f"model {card.id!r} has no registered artifact to refresh: use --algorithm "
                                 "logistic or hgb")
        fresh = Pipeline([("prep", _preprocessor(card, True)), ("model", LogisticRegression(C=0.5, max_iter=2000))])
        return StackingClassifier([("source", FrozenEstimator(source_model)), ("fresh", fresh)],
                                  final_estimator=LogisticRegression(), stack_method="predict_proba", cv=5)
    scale = algorithm == "logistic"
    head: Any = (LogisticRegression(C=0.5, max_iter=2000) if scale else
                 HistGradientBoostingClassifier(max_iter=200, learning_rate=0.06, max_leaf_nodes=15, random_state=0))
    return Pipeline([("prep", _preprocessor(card, scale)), ("model", head)])


def clone_source(model_id: str, source_model: Any | None) -> Any:
    """scikit-learn's clone of the source model; refused when there is none or it cannot be cloned."""
    if source_model is None:
        raise EstimatorError(f"model {model_id!r} has no registered artifact, so its pipeline cannot be cloned: "
                             "use --algorithm logistic or hgb")
    try:
        return clone(source_model)
    except (TypeError, RuntimeError, ValueError, AttributeError) as exc:
        raise EstimatorError(f"the pipeline of model {model_id!r} cannot be cloned with scikit-learn's clone "
                             f"({type(exc).__name__}: {exc}); use --algorithm logistic or hgb") from None


def describe_algorithm(algorithm: str, source: ModelCard) -> str:
    if algorithm == "same":
        return f"{source.algorithm} (scikit-learn clone of {source.id}, refitted)"
    if algorithm == "refresh":
        return ALGORITHM_TEXT[algorithm].replace("the source model", f"the source model {source.id}")
    return ALGORITHM_TEXT[algorithm]


def _preprocessor(card: ModelCard, scale: bool) -> ColumnTransformer:
    numeric = [f.name for f in card.features if f.type == "numeric"]
    categorical = [f for f in card.features if f.type == "categorical"]
    steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", add_indicator=True))]
    if scale:
        steps.append(("scale", StandardScaler()))
    # The card's categories when every categorical feature lists them, else learnt from the rows.
    categories: Any = [list(f.categories) for f in categorical] \
        if categorical and all(f.categories for f in categorical) else "auto"
    return ColumnTransformer([
        ("num", Pipeline(steps), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore", categories=categories), [f.name for f in categorical]),
    ])
