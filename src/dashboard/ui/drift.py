"""Drift page helpers: cached loaders (keyed by store path, version and small args) and renderers.

Evidently runs in a background thread (one at a time per process); the page starts it with
a button and a small polling fragment shows progress, so the rest of the page stays usable.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from dashboard.analytics.drift import (
    DriftReport,
    compute_approval_trend,
    compute_drift_report,
    compute_feature_overlay,
    compute_psi_by_period,
    compute_score_distribution,
)
from dashboard.analytics.evidently_report import (
    EvidentlyInputError,
    EvidentlyResult,
    compute_evidently_report,
)
from dashboard.explain.explainer import ExplainError
from dashboard.explain.importance import compute_feature_importance
from dashboard.models.artifact import ArtifactError
from dashboard.store import open_store
from dashboard.store.drift import (
    load_decisions_by_period,
    load_drift_inputs,
    load_feature_histograms_by_period,
    load_reference_feature_histograms,
    load_reference_profile,
    load_scores_by_period,
    load_stored_model,
    log_date_range,
    sample_reference_rows,
    sample_window_rows,
)
from dashboard.ui.data import QUERY_TTL

Window = tuple[dt.date, dt.date]
EVIDENTLY_ROWS = 5_000       # per window: Evidently takes seconds here, not minutes
EVIDENTLY_SECONDS = 20.0     # rough expected run time for the progress bar (2 shared cores)
KEEP_RESULTS = 4


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_log_span_cached(store_path: str, version: str, model_id: str) -> Window | None:
    return log_date_range(open_store(store_path), model_id)


# No expiry: the result depends only on the model and its reference data (both in the key
# through the version), and the server's warm-up computes it ahead of Drift's first view.
@st.cache_data(max_entries=16, show_spinner=False)
def load_importance_cached(store_path: str, version: str, model_id: str) -> tuple[dict[str, float] | None, str]:
    store = open_store(store_path)
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


@st.cache_data(ttl=QUERY_TTL, show_spinner="Computing drift from the rollups...")
def load_drift_report_cached(store_path: str, version: str, model_id: str, reference: Window | None,
                             current: Window) -> DriftReport:
    store = open_store(store_path)
    # The rollup queries (DuckDB and Arrow, which release the GIL) run beside the model loading
    # and SHAP importance (Python): on two cores the page waits for the longer, not the sum.
    with ThreadPoolExecutor(1, "drift-inputs") as pool:
        inputs = pool.submit(load_drift_inputs, store, model_id, reference, current)
        importance, note = load_importance_cached(store_path, version, model_id)
        report = compute_drift_report(inputs.result(), importance)
    if note:
        report.messages.append(f"feature importance unavailable: {note}")
    return report


@st.cache_data(ttl=QUERY_TTL, show_spinner="Computing the weekly PSI heatmap...")
def load_psi_heatmap_cached(store_path: str, version: str, model_id: str, reference: Window | None) -> pd.DataFrame:
    """PSI of every feature in every week of the history against the reference."""
    store = open_store(store_path)
    card = store.load_card(model_id)
    ref = load_reference_feature_histograms(store, model_id, reference)
    weekly = load_feature_histograms_by_period(store, model_id, "week")
    return compute_psi_by_period(ref, weekly, store.feature_bins(model_id), [(f.name, f.type) for f in card.features])


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_feature_overlay_cached(store_path: str, version: str, model_id: str, feature: str,
                                reference: Window | None, current: Window) -> pd.DataFrame | None:
    store = open_store(store_path)
    spec = store.feature_bins(model_id).get(feature)
    if spec is None:
        return None
    inputs = load_drift_inputs(store, model_id, reference, current)
    ref = inputs.ref_features[inputs.ref_features["feature"] == feature]
    cur = inputs.cur_features[inputs.cur_features["feature"] == feature]
    return compute_feature_overlay(ref, cur, spec)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_prediction_drift_cached(store_path: str, version: str, model_id: str, reference: Window | None,
                                 current: Window) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score distributions (reference, current) and the weekly approval trend."""
    store = open_store(store_path)
    inputs = load_drift_inputs(store, model_id, reference, current)
    weekly_scores = load_scores_by_period(store, model_id, "week")
    trend = compute_approval_trend(load_decisions_by_period(store, model_id, "week"), weekly_scores, inputs.cutoff)
    return compute_score_distribution(inputs.ref_scores), compute_score_distribution(inputs.cur_scores), trend


# ---------------------------------------------------------------------- Evidently in the background


@dataclass
class _Job:
    future: Future[EvidentlyResult]
    started: float
    rows: int


@dataclass
class EvidentlyJobs:
    """Evidently runs, one at a time, keyed by (store, version, model, windows, rows)."""

    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "evidently"))
    jobs: dict[tuple[object, ...], _Job] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple[object, ...]) -> _Job | None:
        with self.lock:
            return self.jobs.get(key)

    def start(self, key: tuple[object, ...], store_path: str, model_id: str, reference: Window | None,
              current: Window, rows: int) -> _Job:
        with self.lock:
            if key in self.jobs:
                return self.jobs[key]
            while len(self.jobs) >= KEEP_RESULTS:  # forget the oldest finished runs (HTML is MBs)
                oldest = next(iter(self.jobs))
                self.jobs.pop(oldest)
            job = _Job(self.pool.submit(run_evidently, store_path, model_id, reference, current, rows),
                       time.monotonic(), rows)
            self.jobs[key] = job
            return job


@st.cache_resource(show_spinner=False)
def evidently_jobs() -> EvidentlyJobs:
    return EvidentlyJobs()


def run_evidently(store_path: str, model_id: str, reference: Window | None, current: Window,
                  rows: int) -> EvidentlyResult:
    """Sample both windows (bounded) and run Evidently; runs in the worker thread, no Streamlit."""
    store = open_store(store_path)
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


def render_evidently(store_path: str, version: str, model_id: str, reference: Window | None,
                     current: Window, rows: int = EVIDENTLY_ROWS) -> None:
    """The Evidently section: a start button, then progress, then the embedded report."""
    key = (store_path, version, model_id, reference, current, rows)
    jobs = evidently_jobs()
    job = jobs.get(key)
    st.caption(f"Evidently's Report (DataDriftPreset on the features and the score, plus ClassificationPreset on "
               f"labelled rows when both windows have them) on a **random sample of up to {rows:,} rows per "
               "window**: Evidently needs about two minutes for 1M + 1M rows here, so it runs on a sample, in the "
               "background, while the rest of the page stays usable.")
    if job is None:
        if st.button("Run Evidently report", key="drift_evidently_run", icon=":material/play_arrow:"):
            jobs.start(key, store_path, model_id, reference, current, rows)
            st.rerun()
        return
    if not job.future.done():
        _render_progress(key)
        return
    try:
        result = job.future.result()
    except EvidentlyInputError as exc:
        st.warning(f"Evidently could not run: {exc}")
        return
    except Exception as exc:  # a library failure must not take the page down
        st.error(f"Evidently failed ({type(exc).__name__}: {exc}). The dashboard's own drift figures above "
                 "do not depend on it.")
        return
    _render_result(result, model_id, current)


@st.fragment(run_every=1.0)
def _render_progress(key: tuple[object, ...]) -> None:
    job = evidently_jobs().get(key)
    if job is None or job.future.done():
        st.rerun()  # the whole page picks up the finished report
        return
    elapsed = time.monotonic() - job.started
    st.progress(min(0.95, elapsed / EVIDENTLY_SECONDS),
                text=f"Running Evidently on {job.rows:,} + {job.rows:,} sampled rows: {elapsed:.0f} s "
                     f"(usually {EVIDENTLY_SECONDS:.0f} s or less)")


def _render_result(result: EvidentlyResult, model_id: str, current: Window) -> None:
    st.success(f"Evidently report on {result.reference_rows:,} reference and {result.current_rows:,} current "
               f"sampled rows ({result.labelled_reference:,} and {result.labelled_current:,} with labels).")
    for note in result.notes:
        st.info(note)
    stem = f"evidently-{model_id}-{current[0]}-{current[1]}"
    c1, c2 = st.columns(2)
    c1.download_button("Download data drift report (HTML)", result.drift_html, file_name=f"{stem}-drift.html",
                       mime="text/html", key="drift_evidently_download")
    if result.classification_html is not None:
        c2.download_button("Download classification report (HTML)", result.classification_html,
                           file_name=f"{stem}-classification.html", mime="text/html",
                           key="drift_evidently_download_cls")
    with st.expander("Data drift (Evidently DataDriftPreset)", expanded=True):
        st.iframe(result.drift_html, height=900)
    if result.classification_html is not None:
        with st.expander("Classification quality on labelled rows (Evidently ClassificationPreset)"):
            st.iframe(result.classification_html, height=900)
