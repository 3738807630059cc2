"""SHAP explainers for any registered model, with attributions summed back to raw features.

`load_explainer` tries the backends of `shap_backends` in turn: shap's TreeExplainer for tree
ensembles, LinearExplainer for linear models (both on the output of a Pipeline's
preprocessing) and a model-agnostic permutation explainer with a background sample for
anything else. Every choice is checked on a few background rows: base value plus attributions
must give back the model's own score, or the next, more general explainer is used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.errors import DashboardError
from dashboard.explain.links import LINK_LABELS, LINKS, to_score
from dashboard.explain.preprocessing import compute_group_weights, split_pipeline
from dashboard.explain.shap_backends import Backend, Candidate, Transform, propose_backends
from dashboard.models.artifact import predict_scores
from dashboard.models.card import ModelCard

BACKGROUND_ROWS = 200      # rows kept to fit maskers and to find which raw feature feeds which column
CHECK_ROWS = 20
AGNOSTIC_CHECK_ROWS = 3   # each row costs thousands of model calls; it is additive by construction
ADDITIVITY_TOLERANCE = 1e-4


class ExplainError(DashboardError, ValueError):
    """A model or frame that cannot be explained; the message says why."""


@dataclass(frozen=True)
class Explanation:
    """Attributions for some rows, one column per raw card feature.

    `values` are on the `link` scale: log-odds ("logit") or probability ("identity").
    base_value + values.sum(axis=1) is the model output on that scale; `scores()` maps it
    to the probability of the bad outcome.
    """

    values: pd.DataFrame
    base_value: float
    link: str
    method: str

    def margins(self) -> np.ndarray:
        return np.asarray(self.base_value + self.values.to_numpy(dtype=float).sum(axis=1))

    def scores(self) -> np.ndarray:
        return to_score(self.margins(), self.link)

    @property
    def scale(self) -> str:
        return LINK_LABELS[self.link]


# ---------------------------------------------------------------------- model input


def model_columns(model: Any, card: ModelCard) -> list[str]:
    """The columns the model reads, in its own order (the card's when it does not say)."""
    names = getattr(model, "feature_names_in_", None)
    return [str(n) for n in names] if names is not None else list(card.feature_names)


def prepare_frame(frame: pd.DataFrame, columns: list[str], card: ModelCard,
                  dtypes: dict[str, str] | None = None) -> pd.DataFrame:
    """The model's input: its columns, numbers as floats, text with NaN for missing.

    `dtypes` ("numeric"/"text") are what the model saw in training (from the reference
    data); they win over the card, since a card may call an integer code categorical.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ExplainError("the data lacks column(s) the model reads: " + ", ".join(missing))
    types = {f.name: f.type for f in card.features}
    out = {}
    for col in columns:
        kind = (dtypes or {}).get(col) or ("numeric" if types.get(col, "numeric") == "numeric" else "text")
        series = frame[col]
        if kind == "numeric":
            out[col] = pd.to_numeric(series, errors="coerce").astype(float)
        else:
            text = series.astype(object)
            out[col] = text.where(text.notna(), np.nan)
    return pd.DataFrame(out, index=frame.index)


def training_dtypes(background: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    return {c: ("numeric" if pd.api.types.is_numeric_dtype(background[c])
                and not pd.api.types.is_bool_dtype(background[c]) else "text")
            for c in columns if c in background.columns}


# ---------------------------------------------------------------------- the explainer


class GroupedExplainer:
    """Explains rows of raw features; attributions are summed back to raw card features."""

    def __init__(self, model: Any, card: ModelCard, columns: list[str], dtypes: dict[str, str],
                 transform: Transform, backend: Backend, weights: np.ndarray, output_names: list[str]) -> None:
        self.model = model
        self.card = card
        self.columns = columns
        self.dtypes = dtypes
        self._transform = transform
        self._backend = backend
        self.weights = weights
        self.output_names = output_names
        self.kind = backend.kind
        self.link = backend.link

    @property
    def feature_names(self) -> list[str]:
        return list(self.columns)

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        return prepare_frame(frame, self.columns, self.card, self.dtypes)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The real model's score (probability of the bad outcome) per row."""
        return np.asarray(predict_scores(self.model, self.prepare(frame)), dtype=float)

    def explain_outputs(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Attributions per transformed column (before grouping) and the base value per row."""
        if frame.empty:
            width = self.weights.shape[0]
            return np.zeros((0, width)), np.zeros(0)
        matrix = self._transform(self.prepare(frame))
        return self._backend.explain(matrix)

    def explain(self, frame: pd.DataFrame) -> Explanation:
        values, base = self.explain_outputs(frame)
        grouped = pd.DataFrame(values @ self.weights, columns=self.columns, index=frame.index)
        # One column per card feature (zero for one the model ignores), card order first.
        order = [*self.card.feature_names, *[c for c in self.columns if c not in self.card.feature_names]]
        grouped = grouped.reindex(columns=order, fill_value=0.0)
        base_value = float(base[0]) if base.size else float("nan")
        return Explanation(values=grouped, base_value=base_value, link=self.link, method=self.kind)

    def base_value(self, frame: pd.DataFrame) -> float:
        return self.explain(frame.head(1)).base_value


def _find_link(margins: np.ndarray, scores: np.ndarray) -> str | None:
    """Which scale the attributions are on: the one where they add up to the model's score."""
    for link in LINKS:
        if np.allclose(to_score(margins, link), scores, atol=ADDITIVITY_TOLERANCE, rtol=0):
            return link
    return None


def load_explainer(model: Any, card: ModelCard, background: pd.DataFrame) -> GroupedExplainer:
    """An explainer for `model`, checked to reproduce its scores on background rows.

    `background` holds the card's features (the registration reference data, or a sample of
    logged rows); up to BACKGROUND_ROWS of them are kept.
    """
    if background is None or background.empty:
        raise ExplainError(f"model {card.id}: no reference data or logged rows to use as background")
    columns = model_columns(model, card)
    dtypes = training_dtypes(background, columns)
    sample = background.sample(n=min(len(background), BACKGROUND_ROWS), random_state=0) \
        if len(background) > BACKGROUND_ROWS else background
    prepared = prepare_frame(sample, columns, card, dtypes).reset_index(drop=True)
    check = prepared.head(CHECK_ROWS)
    try:
        expected = np.asarray(predict_scores(model, check), dtype=float)
    except Exception as exc:
        raise ExplainError(f"model {card.id} could not score its reference rows "
                           f"({type(exc).__name__}: {exc})") from exc

    prep, estimator = split_pipeline(model)
    problems = []
    for candidate in propose_backends(model, card, prepared, columns, dtypes, prep, estimator):
        checked = _check_backend(candidate, check, expected)
        if isinstance(checked, str):
            problems.append(checked)
            continue
        backend, transform = checked
        if backend.kind == "model-agnostic" or prep is None:
            weights, names = np.eye(len(columns)), list(columns)
        else:
            weights, names = compute_group_weights(prep, prepared, columns, card)
        return GroupedExplainer(model, card, columns, dtypes, transform, backend, weights, names)
    raise ExplainError(f"model {card.id} could not be explained: " + "; ".join(problems))


def _check_backend(candidate: Candidate, check: pd.DataFrame,
                   expected: np.ndarray) -> tuple[Backend, Transform] | str:
    """The candidate built, on the scale where its attributions add up to the model's scores
    `expected` on the `check` rows; else what went wrong, in words."""
    name, build = candidate
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            backend, transform = build()
            rows = check.head(AGNOSTIC_CHECK_ROWS) if name == "model-agnostic" else check
            values, base = backend.explain(transform(rows))
    except Exception as exc:  # noqa: BLE001  (shap refuses unsupported models with assorted errors)
        return f"{name}: {type(exc).__name__}: {exc}"
    link = _find_link(base + values.sum(axis=1), expected[:len(values)])
    if link is None:
        return f"{name}: attributions do not add up to the model's score"
    backend.link = link
    return backend, transform
