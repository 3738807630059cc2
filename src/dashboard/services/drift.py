"""Drift of one model: its reference profile, the report's inputs, the report, and Evidently's samples.

Owns what combines the drift rollups (`store.drift`) with the model itself: loading the stored
model (one bounded cache, shared by the reference scores and the feature importance), scoring
and histogramming the reference data (cached per file version), the feature importance, the
drift report of the page and of `dashboard report drift` (computed by `analytics.drift`), and
the samples Evidently runs on.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.analytics.binning import compute_feature_histogram
from dashboard.analytics.drift import (
    DriftInputs,
    DriftReport,
    compute_drift_report,
    validate_windows,
)
from dashboard.analytics.drift_history import compute_psi_by_period
from dashboard.analytics.evidently_report import EvidentlyResult, compute_evidently_report
from dashboard.analytics.feature_drift import compute_feature_overlay
from dashboard.analytics.reference_data import describe_reference_data, label_reference_data
from dashboard.analytics.score_drift import (
    compute_approval_trend,
    compute_score_distribution,
    score_histogram_from_values,
)
from dashboard.explain.explainer import ExplainError
from dashboard.explain.importance import (
    compute_feature_importance,
)
from dashboard.models.artifact import ArtifactError, predict_scores
from dashboard.store.drift import (
    artifact_mtime,
    load_decisions_by_period,
    load_feature_histograms_by_period,
    load_scores_by_period,
    load_window_feature_histograms,
    load_window_score_histogram,
    log_date_range,
    read_reference_info,
    reference_signature,
    reference_stored_on,
    sample_window_rows,
)
from dashboard.store.store import opened_stores

if TYPE_CHECKING:
    from dashboard.store import Store

Window = tuple[dt.date, dt.date]
_PROFILE_CACHE: dict[tuple[str, str, tuple[float, ...]], ReferenceProfile] = {}
_PROFILE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ReferenceProfile:
    """The model's stored reference data, histogrammed once on the rollup bins.

    `features`: feature, bin, sub, n, pos_sum (as the features rollup). `scores`: the model's
    scores on the reference rows with their labels (None when the artifact is missing or cannot
    score the rows).
    """

    features: pd.DataFrame
    scores: pd.DataFrame | None
    rows: int
    note: str
    info: dict[str, Any]  # what the data is: label_reference_data's source, rows, dates, kind, label


def load_reference_profile(store: Store, model_id: str) -> ReferenceProfile | None:
    """Histograms (and model scores) of the model's stored reference data; cached per file version.

    None when the model was registered without reference data.
    """
    key = (str(store.root), model_id, reference_signature(store, model_id))
    with _PROFILE_LOCK:
        hit = _PROFILE_CACHE.get(key)
    if hit is not None:
        return hit
    reference = store.read_reference(model_id)
    if reference is None or reference.empty:
        return None
    card = store.load_card(model_id)
    bins = store.feature_bins(model_id)
    parts = [compute_feature_histogram(reference[spec.name], bins[spec.name]).assign(feature=spec.name)
             for spec in card.features if spec.name in bins and spec.name in reference.columns]
    features = pd.concat(parts, ignore_index=True)[["feature", "bin", "sub", "n", "pos_sum"]] if parts \
        else _empty_features()
    scores, note = _score_reference(store, model_id, reference, card.feature_names)
    profile = ReferenceProfile(features=features, scores=scores, rows=len(reference), note=note,
                               info=_reference_info(store, model_id, reference))
    with _PROFILE_LOCK:
        _PROFILE_CACHE[key] = profile
    return profile


def _reference_info(store: Store, model_id: str, reference: pd.DataFrame) -> dict[str, Any]:
    """What the registered reference data is (reference.json, written at registration). A model
    registered before that file existed: described from the stored rows, dated by the file."""
    data = read_reference_info(store, model_id)
    if data is not None:
        return data
    when = reference_stored_on(store, model_id)
    return {"source": None, **describe_reference_data(reference), "stored_rows": len(reference),
            "registered_on": when.isoformat()}


def clear_model_caches() -> None:
    """Forget the loaded models and reference profiles (a benchmark's cold view; tests)."""
    with _PROFILE_LOCK:
        _PROFILE_CACHE.clear()
    for store in opened_stores():
        store.models.forget_models()


def load_stored_model(store: Store, model_id: str) -> Any | None:
    """The model's fitted estimator from the store's one bounded cache (None without an artifact);
    raises ArtifactError. The reference scores and the importance share one load."""
    return store.load_model(model_id)


def _score_reference(store: Store, model_id: str, reference: pd.DataFrame,
                     names: list[str]) -> tuple[pd.DataFrame | None, str]:
    """The model's scores on its own reference rows: the expected score distribution."""
    if artifact_mtime(store, model_id) is None:
        return None, "no model artifact is stored, so the reference has no score distribution"
    missing = [n for n in names if n not in reference.columns]
    if missing:
        return None, f"the reference data lacks {', '.join(missing)}, so it cannot be scored"
    try:
        model = load_stored_model(store, model_id)
        if model is None:
            return None, "no model artifact is stored, so the reference has no score distribution"
        scores = np.asarray(predict_scores(model, reference[names]), dtype=float)
    except (ArtifactError, ValueError, TypeError, KeyError) as exc:
        return None, f"the model could not score its reference data ({exc})"
    label = reference["label"] if "label" in reference.columns else pd.Series(np.nan, index=reference.index)
    frame = pd.DataFrame({"score": scores, "label": pd.to_numeric(label, errors="coerce").to_numpy()})
    return frame, ""


def sample_reference_rows(store: Store, model_id: str, rows: int, columns: list[str],
                          seed: int = 7) -> pd.DataFrame:
    """A bounded random sample of the model's reference data, with its scores and labels."""
    reference = store.read_reference(model_id)
    profile = load_reference_profile(store, model_id)
    if reference is None or reference.empty:
        return pd.DataFrame(columns=[*columns, "score", "label"])
    frame = reference.reset_index(drop=True)
    out = pd.DataFrame({c: frame[c] if c in frame.columns else np.nan for c in columns})
    out["score"] = profile.scores["score"].to_numpy() if profile is not None and profile.scores is not None else np.nan
    out["label"] = pd.to_numeric(frame["label"], errors="coerce") if "label" in frame.columns else np.nan
    if len(out) > rows:
        out = out.sample(n=rows, random_state=seed)
    return out.reset_index(drop=True)


def load_reference_feature_histograms(store: Store, model_id: str,
                                      reference: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    """Feature histograms of a log window, or of the model's reference data when None."""
    if reference is not None:
        return load_window_feature_histograms(store, model_id, *reference)
    profile = load_reference_profile(store, model_id)
    return profile.features if profile is not None else _empty_features()


def load_drift_inputs(store: Store, model_id: str, reference: tuple[dt.date, dt.date] | None,
                      current: tuple[dt.date, dt.date]) -> DriftInputs:
    """Gather the histograms for one model: reference (None = the model's training reference) vs current."""
    card = store.load_card(model_id)
    bins = store.feature_bins(model_id)
    features = tuple((f.name, f.type) for f in card.features)
    messages: list[str] = []
    cur_features = load_window_feature_histograms(store, model_id, *current)
    cur_scores = load_window_score_histogram(store, model_id, *current)
    ref_auc_population = None
    info: dict[str, Any]
    if reference is None:
        profile = load_reference_profile(store, model_id)
        if profile is None:
            label = "no reference data registered with the model"
            info = {"kind": "none", "label": label}
            messages.append(f"model {model_id} was registered without reference data: pick a reference window "
                            "from the logs")
            ref_features = _empty_features()
            ref_scores = _empty_scores()
        else:
            info = label_reference_data(profile.info, card.training_window,
                                        str(card.training.get("data") or "") if isinstance(card.training, dict)
                                        else "")
            label = info["label"]
            ref_features = profile.features
            if profile.scores is None:
                messages.append(profile.note)
                ref_scores = _empty_scores()
            else:
                s = profile.scores
                ref_scores = score_histogram_from_values(s["score"].to_numpy(), s["label"].to_numpy())
                # The logs only label approved loans: take the AUC baseline on the approved-like
                # part of the reference (scores below the card's cutoff).
                below = s[s["score"] < card.cutoff]
                ref_auc_population = score_histogram_from_values(below["score"].to_numpy(), below["label"].to_numpy())
    else:
        label = f"logs from {reference[0]} to {reference[1]}"
        info = {"kind": "log window", "label": label, "first": reference[0].isoformat(),
                "last": reference[1].isoformat()}
        ref_features = load_window_feature_histograms(store, model_id, *reference)
        ref_scores = load_window_score_histogram(store, model_id, *reference)
    return DriftInputs(
        model_id=model_id, features=features, bins=bins, cutoff=card.cutoff, reference_label=label,
        current_label=f"{current[0]} to {current[1]}", current_window=current,
        ref_features=ref_features, cur_features=cur_features, ref_scores=ref_scores, cur_scores=cur_scores,
        monthly_features=load_feature_histograms_by_period(store, model_id, "month"),
        monthly_scores=load_scores_by_period(store, model_id, "month"),
        ref_auc_population=ref_auc_population, messages=tuple(messages), reference_info=info)


def _empty_features() -> pd.DataFrame:
    return pd.DataFrame({"feature": pd.Series(dtype=str), "bin": pd.Series(dtype=np.int64),
                         "sub": pd.Series(dtype=np.int64), "n": pd.Series(dtype=np.int64),
                         "pos_sum": pd.Series(dtype=float)})


def _empty_scores() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.int64) for c in ("bin", "n", "n_labelled", "n_bad")})


def load_feature_importance(store: Store, model_id: str) -> tuple[dict[str, float] | None, str]:
    """Mean |SHAP| per feature of the stored model on its reference data, or None with the reason."""
    card, reference = store.load_card(model_id), store.read_reference(model_id)
    try:
        model = load_stored_model(store, model_id)  # the one the reference profile loaded, not a second copy
    except ArtifactError as exc:
        return None, str(exc)
    if model is None or reference is None or reference.empty:
        return None, f"model {card.id} has no stored artifact or reference data"
    try:
        return compute_feature_importance(model, card, reference), ""
    except (ArtifactError, ExplainError) as exc:
        return None, str(exc)


def load_drift_report(store: Store, model_id: str, reference: Window | None, current: Window,
                      importance: Callable[[], tuple[dict[str, float] | None, str]]) -> DriftReport:
    """The page's drift report; `importance()` gives the feature importance (the page's cache of
    `load_feature_importance`) or None with the reason."""
    # The rollup queries (DuckDB and Arrow, which release the GIL) run beside the model loading
    # and SHAP importance (Python): on two cores the page waits for the longer, not the sum.
    with ThreadPoolExecutor(1, "drift-inputs") as pool:
        inputs = pool.submit(load_drift_inputs, store, model_id, reference, current)
        weights, note = importance()
        report = compute_drift_report(inputs.result(), weights)
    if note:
        report.messages.append(f"feature importance unavailable: {note}")
    return report


def build_drift_report(store: Store, model_id: str, reference: Window | None, current: Window | None, *,
                       default_days: int) -> DriftReport:
    """The report of `dashboard report drift` (current None: the last `default_days` days of logs);
    raises ValueError with a message a person can act on."""
    store.load_card(model_id)
    span = log_date_range(store, model_id)
    if span is None:
        raise ValueError(f"model {model_id} has no prediction logs yet; ingest some first")
    if current is None:
        current = (max(span[0], span[1] - dt.timedelta(days=default_days - 1)), span[1])
    problems = validate_windows(reference, current)
    if problems:
        raise ValueError("; ".join(problems))
    inputs = load_drift_inputs(store, model_id, reference, current)
    if inputs.cur_features.empty and inputs.cur_scores.empty:
        raise ValueError(f"the current window {current[0]} to {current[1]} holds no predictions of {model_id} "
                         f"(logs cover {span[0]} to {span[1]})")
    if inputs.ref_features.empty and inputs.ref_scores.empty:
        where = (f"the reference window {reference[0]} to {reference[1]} holds no predictions of {model_id} "
                 f"(logs cover {span[0]} to {span[1]})") if reference else "; ".join(inputs.messages)
        raise ValueError(where)
    importance, note = load_feature_importance(store, model_id)
    report = compute_drift_report(inputs, importance)
    if note:
        report.messages.append(f"feature importance unavailable: {note}")
    return report


def load_psi_heatmap(store: Store, model_id: str, reference: Window | None) -> pd.DataFrame:
    """PSI of every feature in every week of the history against the reference."""
    card = store.load_card(model_id)
    ref = load_reference_feature_histograms(store, model_id, reference)
    weekly = load_feature_histograms_by_period(store, model_id, "week")
    return compute_psi_by_period(ref, weekly, store.feature_bins(model_id), [(f.name, f.type) for f in card.features])


def load_feature_overlay(store: Store, model_id: str, feature: str, reference: Window | None,
                         current: Window) -> pd.DataFrame | None:
    """One feature's reference and current distributions on its bins (None for a feature without bins)."""
    spec = store.feature_bins(model_id).get(feature)
    if spec is None:
        return None
    inputs = load_drift_inputs(store, model_id, reference, current)
    ref = inputs.ref_features[inputs.ref_features["feature"] == feature]
    cur = inputs.cur_features[inputs.cur_features["feature"] == feature]
    return compute_feature_overlay(ref, cur, spec)


def load_prediction_drift(store: Store, model_id: str, reference: Window | None,
                          current: Window) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score distributions (reference, current) and the weekly approval trend."""
    inputs = load_drift_inputs(store, model_id, reference, current)
    weekly_scores = load_scores_by_period(store, model_id, "week")
    trend = compute_approval_trend(load_decisions_by_period(store, model_id, "week"), weekly_scores, inputs.cutoff)
    return compute_score_distribution(inputs.ref_scores), compute_score_distribution(inputs.cur_scores), trend


def load_evidently_report(store: Store, model_id: str, reference: Window | None, current: Window,
                          rows: int) -> EvidentlyResult:
    """Sample both windows (at most `rows` each) and run Evidently on them."""
    card = store.load_card(model_id)
    columns = card.feature_names
    if reference is None:
        load_reference_profile(store, model_id)
        ref = sample_reference_rows(store, model_id, rows, columns)
    else:
        ref = sample_window_rows(store, model_id, *reference, rows, columns)
    cur = sample_window_rows(store, model_id, *current, rows, columns)
    numeric = [f.name for f in card.features if f.type == "numeric"]
    categorical = [f.name for f in card.features if f.type != "numeric"]
    return compute_evidently_report(ref, cur, numeric, categorical, threshold=card.cutoff)


__all__ = ["ReferenceProfile", "Window", "build_drift_report", "clear_model_caches", "load_drift_inputs",
           "load_drift_report", "load_evidently_report", "load_feature_importance", "load_feature_overlay",
           "load_prediction_drift", "load_psi_heatmap", "load_reference_feature_histograms",
           "load_reference_profile", "load_stored_model", "log_date_range", "sample_reference_rows",
           "sample_window_rows"]
