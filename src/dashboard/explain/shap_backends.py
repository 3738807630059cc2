"""The SHAP backends an explainer may use, most specific first: shap's TreeExplainer for tree
ensembles, LinearExplainer for linear models (both on the output of a Pipeline's
preprocessing), and a model-agnostic permutation explainer on the raw rows (as category codes)
with a background sample for anything else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shap

from dashboard.explain.links import EPS
from dashboard.explain.preprocessing import to_dense
from dashboard.models.artifact import predict_scores
from dashboard.models.card import ModelCard

AGNOSTIC_BACKGROUND = 50   # background rows per masked evaluation of the model-agnostic explainer
AGNOSTIC_MAX_EVALS = 500


@dataclass
class Backend:
    """One shap explainer: its kind, the scale its attributions are on, and how to run it."""

    kind: str  # "tree" | "linear" | "model-agnostic"
    link: str
    explain: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # matrix -> (values, base per row)


Transform = Callable[[pd.DataFrame], np.ndarray]  # prepared raw rows -> the backend's input matrix
Candidate = tuple[str, Callable[[], tuple[Backend, Transform]]]  # a backend's name and how to build it


def propose_backends(model: Any, card: ModelCard, prepared: pd.DataFrame, columns: list[str],
                     dtypes: dict[str, str], prep: Any | None, estimator: Any) -> list[Candidate]:
    """The backends to try for `model`, most specific first; each is built only when tried.

    `prepared`: background rows in the model's input form; `prep`/`estimator`: the model split
    by `preprocessing.split_pipeline`. Tree and linear need numbers: a Pipeline's preprocessing,
    or raw columns that are all numeric.
    """
    candidates: list[Candidate] = []

    def transformed(frame: pd.DataFrame) -> np.ndarray:
        return to_dense(prep.transform(frame)) if prep is not None else to_dense(frame)

    numeric_input = prep is not None or all(dtypes.get(c) == "numeric" for c in columns)
    if numeric_input:
        def tree() -> tuple[Backend, Transform]:
            return build_tree_backend(estimator, positive_class_index(estimator)), transformed

        def linear() -> tuple[Backend, Transform]:
            return build_linear_backend(estimator, transformed(prepared)), transformed

        candidates.append(("tree", tree))
        if is_linear(estimator):
            candidates.append(("linear", linear))

    codec = Codec(prepared, columns, dtypes, card)

    def agnostic() -> tuple[Backend, Transform]:
        return build_agnostic_backend(model, codec, codec.encode(prepared)), codec.encode

    candidates.append(("model-agnostic", agnostic))
    return candidates


def build_tree_backend(estimator: Any, cls: int) -> Backend:
    explainer = shap.TreeExplainer(estimator)

    def run(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(explainer.shap_values(matrix, check_additivity=False), dtype=float)
        if values.ndim == 3:
            values = values[..., cls]
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        base = expected[cls] if expected.size > 1 else expected[0]
        return values, np.full(len(matrix), float(base))

    return Backend("tree", "logit", run)


def build_linear_backend(estimator: Any, background: np.ndarray) -> Backend:
    explainer = shap.LinearExplainer(estimator, shap.maskers.Independent(background, max_samples=len(background)))

    def run(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(explainer.shap_values(matrix), dtype=float)
        if values.ndim == 3:
            values = values[..., -1]
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        return values, np.full(len(matrix), float(expected[-1]))

    return Backend("linear", "logit", run)


class Codec:
    """Raw rows <-> a numeric matrix (category codes) that shap's maskers can mix."""

    def __init__(self, background: pd.DataFrame, columns: list[str], dtypes: dict[str, str],
                 card: ModelCard) -> None:
        self.columns = columns
        self.categories: dict[str, list[Any]] = {}
        for col in columns:
            if dtypes.get(col) == "text":
                seen = [v for v in pd.unique(background[col].dropna())]
                extra = list(card.feature(col).categories) if col in card.feature_names else []
                self.categories[col] = list(dict.fromkeys([*seen, *extra]))

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)), dtype=float)
        for j, col in enumerate(self.columns):
            if col in self.categories:
                lookup = {v: i for i, v in enumerate(self.categories[col])}
                out[:, j] = [np.nan if pd.isna(v) else float(lookup.setdefault(v, self._add(col, v)))
                             for v in frame[col]]
            else:
                out[:, j] = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        return out

    def _add(self, col: str, value: Any) -> int:
        self.categories[col].append(value)
        return len(self.categories[col]) - 1

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, col in enumerate(self.columns):
            column = matrix[:, j]
            if col in self.categories:
                cats = np.asarray(self.categories[col] + [np.nan], dtype=object)
                codes = np.where(np.isnan(column), len(cats) - 1, column).astype(int)
                data[col] = cats[codes]
            else:
                data[col] = column
        return pd.DataFrame(data)


def build_agnostic_backend(model: Any, codec: Codec, background: np.ndarray) -> Backend:
    def proba(matrix: np.ndarray) -> np.ndarray:
        return np.asarray(np.clip(np.asarray(predict_scores(model, codec.decode(matrix)), dtype=float), EPS, 1 - EPS))

    masker = shap.maskers.Independent(background, max_samples=min(AGNOSTIC_BACKGROUND, len(background)))
    explainer = shap.explainers.Permutation(proba, masker, link=shap.links.logit, seed=0)
    evals = max(AGNOSTIC_MAX_EVALS, 2 * background.shape[1] + 1)

    def run(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = explainer(matrix, max_evals=evals, silent=True)
        return (np.asarray(result.values, dtype=float),
                np.asarray(result.base_values, dtype=float).reshape(-1))

    return Backend("model-agnostic", "logit", run)


def is_linear(estimator: Any) -> bool:
    coef = getattr(estimator, "coef_", None)
    return (coef is not None and hasattr(estimator, "intercept_") and np.ndim(coef) <= 2
            and (np.ndim(coef) == 1 or np.shape(coef)[0] == 1) and hasattr(estimator, "decision_function"))


def positive_class_index(estimator: Any) -> int:
    """The column of the bad outcome (class 1) in the estimator's class outputs."""
    classes = list(getattr(estimator, "classes_", [0, 1]))
    return classes.index(1) if 1 in classes else len(classes) - 1
