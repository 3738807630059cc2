"""Named queries behind drift: window histograms from rollups, the reference profile, samples.

Everything here reads rollups (cost grows with days x bins) except the bounded random
samples for Evidently, which read only the date partitions of the chosen window.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.binning import compute_feature_histogram
from dashboard.analytics.drift import (
    DriftInputs,
    describe_reference_data,
    label_reference_data,
    score_histogram_from_values,
)
from dashboard.models.artifact import ArtifactError, load_model, predict_scores
from dashboard.store.store import Store, quote
from dashboard.store.windows import window_source

PERIODS = {"week": "week", "month": "month"}
MAX_SAMPLE_ROWS = 1_000_000  # a reservoir allocates its size up front: keep the bound sane
_PROFILE_CACHE: dict[tuple[str, str, tuple[float, ...]], ReferenceProfile] = {}
_PROFILE_LOCK = threading.Lock()
_MODEL_CACHE: dict[tuple[str, str, float], Any] = {}
_MODEL_CACHE_SIZE = 4
_MODEL_LOAD_LOCK = threading.Lock()  # two threads asking for the same model load it once


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


def log_date_range(store: Store, model_id: str) -> tuple[dt.date, dt.date] | None:
    """First and last day with predictions of this model."""
    frame = store.sql("SELECT min(date) AS lo, max(date) AS hi FROM r_daily WHERE model_id = ?", [model_id])
    if frame.empty or pd.isna(frame["lo"].iloc[0]):
        return None
    return pd.Timestamp(frame["lo"].iloc[0]).date(), pd.Timestamp(frame["hi"].iloc[0]).date()


def _feature_position_columns(store: Store) -> str:
    """sub and pos_sum of r_features, summed. A rollup written before has neither: pos_sum is then
    NULL (NaN), also where only some of a group's days lack it, and drift falls back to bin
    centers for the Wasserstein distance, saying so."""
    present = set(store.sql("SELECT * FROM r_features LIMIT 0").columns)
    if not {"sub", "pos_sum"} <= present:
        return "0 AS sub, sum(n)::BIGINT AS n, NULL::DOUBLE AS pos_sum"
    return ("coalesce(sub, 0)::INTEGER AS sub, sum(n)::BIGINT AS n, "
            "CASE WHEN count(pos_sum) = count(*) THEN sum(pos_sum)::DOUBLE END AS pos_sum")


def load_window_feature_histograms(store: Store, model_id: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per feature, bin and sub-bin: rows in [start, end] and their summed positions (bin -1 = missing)."""
    return store.sql(f"""
        SELECT feature, bin, {_feature_position_columns(store)} FROM r_features
        WHERE model_id = ? AND date BETWEEN ? AND ?
        GROUP BY ALL ORDER BY feature, bin, sub""", [model_id, start, end])


def load_feature_histograms_by_period(store: Store, model_id: str, period: str = "week") -> pd.DataFrame:
    """Per period (week or month start), feature and bin, over the whole history."""
    unit = PERIODS[period]
    return store.sql(f"""
        SELECT date_trunc('{unit}', date)::DATE AS period, feature, bin, sum(n)::BIGINT AS n
        FROM r_features WHERE model_id = ?
        GROUP BY ALL ORDER BY period, feature, bin""", [model_id])


def load_window_score_histogram(store: Store, model_id: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per score bin (1,000 on [0, 1]): rows, labelled rows and bads in [start, end]."""
    rows, params = window_source(store, "scores", start, end)
    return store.sql(f"""
        SELECT bin::INTEGER AS bin, sum(n)::BIGINT AS n, sum(n_labelled)::BIGINT AS n_labelled,
               sum(n_bad)::BIGINT AS n_bad
        FROM {rows} WHERE model_id = ?
        GROUP BY bin ORDER BY bin""", [*params, model_id])


def load_scores_by_period(store: Store, model_id: str, period: str = "month") -> pd.DataFrame:
    """Per period and score bin: rows, labelled rows and bads, over the whole history."""
    unit = PERIODS[period]
    table = "r_scores_month" if unit == "month" else "r_scores"  # months summed once per load
    return store.sql(f"""
        SELECT date_trunc('{unit}', date)::DATE AS period, bin::INTEGER AS bin, sum(n)::BIGINT AS n,
               sum(n_labelled)::BIGINT AS n_labelled, sum(n_bad)::BIGINT AS n_bad
        FROM {table} WHERE model_id = ?
        GROUP BY ALL ORDER BY period, bin""", [model_id])


def load_decisions_by_period(store: Store, model_id: str, period: str = "week") -> pd.DataFrame:
    """Per period: rows and decisions actually taken on this model's scores."""
    unit = PERIODS[period]
    return store.sql(f"""
        SELECT date_trunc('{unit}', date)::DATE AS period, sum(n)::BIGINT AS n,
               sum(n_approve)::BIGINT AS n_approve, sum(n_decline)::BIGINT AS n_decline,
               sum(n_review)::BIGINT AS n_review, sum(n_undecided)::BIGINT AS n_undecided
        FROM r_daily WHERE model_id = ? GROUP BY ALL ORDER BY period""", [model_id])


def _reference_signature(store: Store, model_id: str) -> tuple[float, ...]:
    mdir = store.layout.model_dir(model_id)
    out = []
    for name in ("reference.parquet", "reference.json", "bins.json", "model.skops"):
        path = mdir / name
        out.append(path.stat().st_mtime if path.exists() else 0.0)
    return tuple(out)


def load_reference_profile(store: Store, model_id: str) -> ReferenceProfile | None:
    """Histograms (and model scores) of the model's stored reference data; cached per file version.

    None when the model was registered without reference data.
    """
    key = (str(store.root), model_id, _reference_signature(store, model_id))
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
    mdir = store.layout.model_dir(model_id)
    try:
        data = json.loads((mdir / "reference.json").read_text("utf-8"))
        if isinstance(data, dict):
            return data
    except (OSError, ValueError):
        pass
    when = dt.datetime.fromtimestamp((mdir / "reference.parquet").stat().st_mtime, dt.UTC).date()
    return {"source": None, **describe_reference_data(reference), "stored_rows": len(reference),
            "registered_on": when.isoformat()}


def clear_model_caches() -> None:
    """Forget the loaded models and reference profiles (a benchmark's cold view; tests)."""
    with _PROFILE_LOCK:
        _PROFILE_CACHE.clear()
    with _MODEL_LOAD_LOCK:
        _MODEL_CACHE.clear()


def load_stored_model(store: Store, model_id: str) -> Any | None:
    """The model's skops artifact, loaded once per file version (None when none is stored).

    The reference scores and the feature importance both need the model; the skops checks
    and loading take most of a second, so they are paid once. Raises ArtifactError.
    """
    path = store.layout.model_dir(model_id) / "model.skops"
    try:
        key = (str(store.root), model_id, path.stat().st_mtime)
    except FileNotFoundError:
        return None
    with _MODEL_LOAD_LOCK:
        hit = _MODEL_CACHE.get(key)
        if hit is not None:
            return hit
        artifact = store.read_artifact(model_id)
        if artifact is None:
            return None
        model = load_model(artifact)
        while len(_MODEL_CACHE) >= _MODEL_CACHE_SIZE:
            _MODEL_CACHE.pop(next(iter(_MODEL_CACHE)))
        _MODEL_CACHE[key] = model
        return model


def _score_reference(store: Store, model_id: str, reference: pd.DataFrame,
                     names: list[str]) -> tuple[pd.DataFrame | None, str]:
    """The model's scores on its own reference rows: the expected score distribution."""
    if not (store.layout.model_dir(model_id) / "model.skops").exists():
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


def sample_window_rows(store: Store, model_id: str, start: dt.date, end: dt.date, rows: int,
                       columns: list[str], seed: int = 7) -> pd.DataFrame:
    """A bounded random sample of raw log rows in [start, end], with the label when known.

    Reads only the window's date partitions; the SAMPLE clause bounds what reaches pandas.
    """
    files = store.prediction_files(model_id, start, end)
    source = store.predictions_source(files)
    if source is None or rows <= 0:
        return pd.DataFrame(columns=[*columns, "score", "label"])
    present = set(store.sql(f"DESCRIBE SELECT * FROM {source}")["column_name"])
    wanted = [c for c in columns if c in present]
    cols = ", ".join(["p.application_id", "p.score", *(f"p.{quote(c)}" for c in wanted)])
    bound = min(int(rows), MAX_SAMPLE_ROWS)
    sampled = (f"SELECT {cols} FROM {source} p WHERE p.date BETWEEN ? AND ? "
               f"USING SAMPLE reservoir({bound} ROWS) REPEATABLE ({int(seed)})")
    outcomes = store.outcomes_source()
    if outcomes is None:
        frame = store.sql(f"SELECT * EXCLUDE (application_id), NULL::INTEGER AS label FROM ({sampled})",
                          [start, end])
    else:
        frame = store.sql(f"""
            WITH s AS ({sampled})
            SELECT s.* EXCLUDE (application_id), o.label FROM s LEFT JOIN (
                SELECT application_id, arg_max(label, outcome_timestamp) AS label FROM {outcomes}
                WHERE application_id IN (SELECT application_id FROM s) GROUP BY 1) o USING (application_id)""",
                          [start, end])
    for c in columns:
        if c not in frame.columns:
            frame[c] = np.nan  # a feature absent from the logs stays visible as all-missing
    return frame[[*columns, "score", "label"]]


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
