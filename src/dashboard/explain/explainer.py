"""SHAP explainers for any registered model, with attributions summed back to raw features.

`load_explainer` picks shap's TreeExplainer for tree ensembles, LinearExplainer for linear
models (both on the output of a Pipeline's preprocessing) and a model-agnostic permutation
explainer with a background sample for anything else. Every choice is checked on a few
background rows: base value plus attributions must give back the model's own score, or
the next, more general explainer is used.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shap
from scipy import sparse
from scipy.special import expit, logit

from dashboard.errors import DashboardError
from dashboard.models.artifact import predict_scores
from dashboard.models.card import ModelCard

BACKGROUND_ROWS = 200      # rows kept to fit maskers and to find which raw feature feeds which column
AGNOSTIC_BACKGROUND = 50   # background rows per masked evaluation of the model-agnostic explainer
AGNOSTIC_MAX_EVALS = 500
CHECK_ROWS = 20
AGNOSTIC_CHECK_ROWS = 3   # each row costs thousands of model calls; it is additive by construction
GROUP_ROWS = 60          # sample rows per variant when finding column groups
ADDITIVITY_TOLERANCE = 1e-4
_EPS = 1e-9

LINKS = ("logit", "identity")
LINK_LABELS = {"logit": "log-odds of the bad outcome", "identity": "probability of the bad outcome"}

log = logging.getLogger(__name__)


class ExplainError(DashboardError, ValueError):
    """A model or frame that cannot be explained; the message says why."""


def to_score(margin: float | np.ndarray, link: str) -> np.ndarray:
    """The model's score (probability of the bad outcome) from base + attributions."""
    value = np.asarray(margin, dtype=float)
    if link == "logit":
        return np.asarray(expit(value))
    if link == "identity":
        return value
    raise ValueError(f"unknown link {link!r}; expected one of {', '.join(LINKS)}")


def to_margin(score: float | np.ndarray, link: str) -> np.ndarray:
    """The inverse of `to_score`: a score on the explanation's scale."""
    value = np.asarray(score, dtype=float)
    if link == "logit":
        return np.asarray(logit(np.clip(value, _EPS, 1 - _EPS)))
    return value


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


def _dense(matrix: Any) -> np.ndarray:
    if sparse.issparse(matrix):
        return np.asarray(matrix.toarray(), dtype=float)
    if isinstance(matrix, pd.DataFrame):
        return np.asarray(matrix.to_numpy(dtype=float), dtype=float)
    return np.asarray(matrix, dtype=float)


def split_pipeline(model: Any) -> tuple[Any | None, Any]:
    """(preprocessing or None, final estimator) of an sklearn Pipeline; (None, model) otherwise."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and len(steps) > 1:
        return model[:-1], steps[-1][1]
    if isinstance(steps, list) and steps:
        return None, steps[-1][1]
    return None, model


def _class_index(estimator: Any) -> int:
    classes = list(getattr(estimator, "classes_", [0, 1]))
    return classes.index(1) if 1 in classes else len(classes) - 1


# ---------------------------------------------------------------------- column groups


def _output_names(transform: Any, width: int) -> list[str]:
    try:
        names = [str(n) for n in transform.get_feature_names_out()]
        if len(names) == width:
            return names
    except Exception as exc:  # noqa: BLE001  (many transformers cannot name their outputs)
        log.debug("the transform cannot name its outputs (%s): numbering them", exc)
    return [f"x{i}" for i in range(width)]


def _variants(sample: pd.DataFrame, col: str, card: ModelCard) -> list[pd.Series]:
    """Replacement columns that move every output column fed by `col`."""
    series = sample[col]
    out = [pd.Series(np.roll(series.to_numpy(), 1), index=series.index),
           pd.Series(np.roll(series.to_numpy(), len(series) // 2), index=series.index),
           pd.Series(np.nan, index=series.index, dtype=series.dtype if series.dtype == object else float)]
    if series.dtype == object:
        cats = {str(v) for v in series.dropna()}
        if col in card.feature_names:
            cats |= set(card.feature(col).categories)
        out += [pd.Series(c, index=series.index, dtype=object) for c in sorted(cats)]
    return out


def compute_group_weights(transform: Any, sample: pd.DataFrame, raw: list[str],
                          card: ModelCard) -> tuple[np.ndarray, list[str]]:
    """A (transformed column x raw feature) matrix whose rows sum to 1, and column names.

    A transformed column belongs to the raw features whose change moves it (found by
    swapping, blanking and recoding one raw column at a time on a sample); columns that
    never moved are matched by name, and only then spread evenly.
    """
    sample = sample.head(GROUP_ROWS).reset_index(drop=True)
    base = _dense(transform.transform(sample))
    width = base.shape[1]
    names = _output_names(transform, width)
    depends = np.zeros((width, len(raw)), dtype=bool)
    trials, owners = [], []
    for j, col in enumerate(raw):
        for variant in _variants(sample, col, card):
            trial = sample.copy()
            trial[col] = variant
            trials.append(trial)
            owners.append(j)
    moved = None
    # One transform call for every variant (tens of calls would cost seconds); a transformer
    # refusing one variant (e.g. NaN) makes it fall back to one variant at a time.
    with contextlib.suppress(Exception):
        moved = _dense(transform.transform(pd.concat(trials, ignore_index=True)))
    for k, (trial, j) in enumerate(zip(trials, owners, strict=True)):
        if moved is not None:
            block = moved[k * len(sample):(k + 1) * len(sample)]
        else:
            try:
                block = _dense(transform.transform(trial))
            except Exception as exc:  # noqa: BLE001  (the user's transform may refuse a variant: it tells nothing)
                log.debug("variant %d of the dependency probe refused (%s)", k, exc)
                continue
        if block.shape != base.shape:
            continue
        depends[:, j] |= ~np.isclose(block, base, equal_nan=True).all(axis=0)
    for i in np.flatnonzero(~depends.any(axis=1)):
        short = names[i].split("__", 1)[-1]
        hits = [j for j, col in enumerate(raw) if col in short]
        if hits:
            depends[i, max(hits, key=lambda j: len(raw[j]))] = True
        else:
            depends[i, :] = True
    weights = depends.astype(float)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights, names


# ---------------------------------------------------------------------- the explainer


@dataclass
class _Backend:
    kind: str  # "tree" | "linear" | "model-agnostic"
    link: str
    explain: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # matrix -> (values, base per row)


class GroupedExplainer:
    """Explains rows of raw features; attributions are summed back to raw card features."""

    def __init__(self, model: Any, card: ModelCard, columns: list[str], dtypes: dict[str, str],
                 transform: Callable[[pd.DataFrame], np.ndarray], backend: _Backend,
                 weights: np.ndarray, output_names: list[str]) -> None:
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


def _tree_backend(estimator: Any, cls: int) -> _Backend:
    explainer = shap.TreeExplainer(estimator)

    def run(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(explainer.shap_values(matrix, check_additivity=False), dtype=float)
        if values.ndim == 3:
            values = values[..., cls]
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        base = expected[cls] if expected.size > 1 else expected[0]
        return values, np.full(len(matrix), float(base))

    return _Backend("tree", "logit", run)


def _linear_backend(estimator: Any, background: np.ndarray) -> _Backend:
    explainer = shap.LinearExplainer(estimator, shap.maskers.Independent(background, max_samples=len(background)))

    def run(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(explainer.shap_values(matrix), dtype=float)
        if values.ndim == 3:
            values = values[..., -1]
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        return values, np.full(len(matrix), float(expected[-1]))

    return _Backend("linear", "logit", run)


class _Codec:
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


def _agnostic_backend(model: Any, codec: _Codec, background: np.ndarray) -> _Backend:
    def proba(matrix: np.ndarray) -> np.ndarray:
        return np.asarray(np.clip(np.asarray(predict_scores(model, codec.decode(matrix)), dtype=float), _EPS, 1 - _EPS))

    masker = shap.maskers.Independent(background, max_samples=min(AGNOSTIC_BACKGROUND, len(background)))
    explainer = shap.explainers.Permutation(proba, masker, link=shap.links.logit, seed=0)
    evals = max(AGNOSTIC_MAX_EVALS, 2 * background.shape[1] + 1)

    def run(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = explainer(matrix, max_evals=evals, silent=True)
        return (np.asarray(result.values, dtype=float),
                np.asarray(result.base_values, dtype=float).reshape(-1))

    return _Backend("model-agnostic", "logit", run)


def _is_linear(estimator: Any) -> bool:
    coef = getattr(estimator, "coef_", None)
    return (coef is not None and hasattr(estimator, "intercept_") and np.ndim(coef) <= 2
            and (np.ndim(coef) == 1 or np.shape(coef)[0] == 1) and hasattr(estimator, "decision_function"))


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
    candidates: list[tuple[str, Callable[[], tuple[_Backend, Callable[[pd.DataFrame], np.ndarray]]]]] = []

    def transformed(frame: pd.DataFrame) -> np.ndarray:
        return _dense(prep.transform(frame)) if prep is not None else _dense(frame)

    numeric_input = prep is not None or all(dtypes.get(c) == "numeric" for c in columns)
    if numeric_input:
        def tree() -> tuple[_Backend, Callable[[pd.DataFrame], np.ndarray]]:
            return _tree_backend(estimator, _class_index(estimator)), transformed

        def linear() -> tuple[_Backend, Callable[[pd.DataFrame], np.ndarray]]:
            return _linear_backend(estimator, transformed(prepared)), transformed

        candidates.append(("tree", tree))
        if _is_linear(estimator):
            candidates.append(("linear", linear))

    codec = _Codec(prepared, columns, dtypes, card)

    def agnostic() -> tuple[_Backend, Callable[[pd.DataFrame], np.ndarray]]:
        return _agnostic_backend(model, codec, codec.encode(prepared)), codec.encode

    candidates.append(("model-agnostic", agnostic))

    problems = []
    for name, build in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                backend, transform = build()
                rows = check.head(AGNOSTIC_CHECK_ROWS) if name == "model-agnostic" else check
                values, base = backend.explain(transform(rows))
        except Exception as exc:  # noqa: BLE001  (shap refuses unsupported models with assorted errors)
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        link = _find_link(base + values.sum(axis=1), expected[:len(values)])
        if link is None:
            problems.append(f"{name}: attributions do not add up to the model's score")
            continue
        backend.link = link
        if backend.kind == "model-agnostic" or prep is None:
            weights, names = np.eye(len(columns)), list(columns)
        else:
            weights, names = compute_group_weights(prep, prepared, columns, card)
        return GroupedExplainer(model, card, columns, dtypes, transform, backend, weights, names)
    raise ExplainError(f"model {card.id} could not be explained: " + "; ".join(problems))
