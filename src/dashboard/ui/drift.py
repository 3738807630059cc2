"""Drift page helpers: cached loaders (keyed by store path, version and small args) and renderers.

Evidently runs in a background thread (one at a time per process); the page starts it with
a button and a small polling fragment shows progress, so the rest of the page stays usable.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from dashboard.analytics.drift import DriftReport
from dashboard.analytics.evidently_report import EvidentlyInputError, EvidentlyResult
from dashboard.services.drift import (
    Window,
    load_drift_report,
    load_evidently_report,
    load_feature_importance,
    load_feature_overlay,
    load_prediction_drift,
    load_psi_heatmap,
    log_date_range,
)
from dashboard.services.stores import open_store
from dashboard.ui.data import QUERY_TTL

EVIDENTLY_ROWS = 5_000       # per window: Evidently takes seconds here, not minutes
EVIDENTLY_SECONDS = 20.0     # rough expected run time for the progress bar (2 shared cores)
KEEP_RESULTS = 4

log = logging.getLogger(__name__)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_log_span_cached(store_path: str, version: str, model_id: str) -> Window | None:
    return log_date_range(open_store(store_path), model_id)


# No expiry: the result depends only on the model and its reference data (both in the key
# through the version), and the server's warm-up computes it ahead of Drift's first view.
@st.cache_data(max_entries=16, show_spinner=False)
def load_importance_cached(store_path: str, version: str, model_id: str) -> tuple[dict[str, float] | None, str]:
    return load_feature_importance(open_store(store_path), model_id)


@st.cache_data(ttl=QUERY_TTL, show_spinner="Computing drift from the rollups...")
def load_drift_report_cached(store_path: str, version: str, model_id: str, reference: Window | None,
                             current: Window) -> DriftReport:
    return load_drift_report(open_store(store_path), model_id, reference, current,
                             lambda: load_importance_cached(store_path, version, model_id))


@st.cache_data(ttl=QUERY_TTL, show_spinner="Computing the weekly PSI heatmap...")
def load_psi_heatmap_cached(store_path: str, version: str, model_id: str, reference: Window | None) -> pd.DataFrame:
    """PSI of every feature in every week of the history against the reference."""
    return load_psi_heatmap(open_store(store_path), model_id, reference)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_feature_overlay_cached(store_path: str, version: str, model_id: str, feature: str,
                                reference: Window | None, current: Window) -> pd.DataFrame | None:
    return load_feature_overlay(open_store(store_path), model_id, feature, reference, current)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_prediction_drift_cached(store_path: str, version: str, model_id: str, reference: Window | None,
                                 current: Window) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score distributions (reference, current) and the weekly approval trend."""
    return load_prediction_drift(open_store(store_path), model_id, reference, current)


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
    return load_evidently_report(open_store(store_path), model_id, reference, current, rows)


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
    except Exception as exc:
        log.exception("Evidently's report failed for %s", model_id)
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
