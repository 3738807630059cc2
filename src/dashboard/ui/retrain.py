"""Retraining on the Drift and Challengers pages: the form (data scientists and admins), its
progress and result, and the labels of backfilled shadow scores and calibration on Challengers.

The button runs `services.retraining.retrain`, the function behind `dashboard retrain`; the
role is checked there again, whatever this page showed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.analytics.access import has_permission
from dashboard.analytics.comparison import Comparison
from dashboard.services.challengers import data_window
from dashboard.services.retraining import (
    ALGORITHMS,
    RetrainError,
    RetrainRequest,
    RetrainResult,
    backfilled_counts,
    retrain,
)
from dashboard.services.stores import LockTimeout, open_store
from dashboard.ui.format import fmt_int, fmt_pct
from dashboard.ui.session import current_role, current_user

if TYPE_CHECKING:
    from dashboard.store import Store

QUERY_TTL = 300
FLASH = "retrain_flash"


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_backfilled_cached(store_path: str, version: str, models: tuple[str, ...], start: dt.date | None,
                           end: dt.date | None) -> dict[str, tuple[int, int]]:
    return backfilled_counts(open_store(store_path), list(models), start, end)


def render_backfill_labels(store: Store, models: list[str], start: dt.date | None,
                           end: dt.date | None) -> set[str]:
    """A warning naming each compared model whose shadow scores in the window are backfilled; their ids."""
    counts = load_backfilled_cached(str(store.root), store.version(), tuple(models), start, end)
    for model_id, (backfilled, total) in counts.items():
        if backfilled:
            where = " in this window" if start or end else ""
            st.warning(f"**{model_id}: backfilled figures.** {fmt_int(backfilled)} of its {fmt_int(total)} scores"
                       f"{where} ({fmt_pct(backfilled / total)}) were computed after the fact from the logged "
                       "features of the champion's applications (original timestamps kept), not logged live in "
                       "shadow. They show how it would have ranked these applications, not how it ran in "
                       "production (latency, feature availability at decision time).", icon=":material/history:")
    return {m for m, (b, _) in counts.items() if b}


def render_calibration(c: Comparison, backfilled: set[str]) -> None:
    """Realized against expected bads per model on the matured rows, with 95% intervals."""
    cal = c.calibration
    if cal.empty or cal["ratio"].isna().all():
        return
    st.markdown("**Calibration on the matured loans** (realized over expected bads; 1 is calibrated)")
    shown = pd.DataFrame({
        "model": [f"{m} (backfilled)" if m in backfilled else m for m in cal["model_id"]],
        "realized bads": cal["observed"].map(lambda v: fmt_int(v)),
        "expected bads": cal["expected"].map(lambda v: f"{v:,.1f}"),
        "realized / expected": [
            "n/a" if pd.isna(r) else f"{r:.3f} ({lo:.3f} to {hi:.3f})"
            for r, lo, hi in zip(cal["ratio"], cal["ratio_lo"], cal["ratio_hi"], strict=True)]})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption("Expected bads are the sum of the model's scores (P(bad)) over the same matured loans; the 95% "
               "interval is the realized count's sampling noise under the scores (sum of p(1-p)). An interval "
               "that excludes 1 is miscalibration beyond noise.")


def render_retrain_panel(store: Store, model_id: str, key: str) -> None:
    """The retraining form in an expander; refused roles see who may."""
    flash = st.session_state.pop(FLASH, None)
    with st.expander("Retrain a challenger on matured loans", expanded=flash is not None):
        if flash:
            st.success(flash)
        role = current_role()
        if not has_permission(role, "retrain"):
            st.info("Only a data scientist or an administrator can retrain a challenger.")
            return
        span = data_window(store, model_id)
        if span is None:
            st.info(f"{model_id} has no prediction logs to train on.")
            return
        _render_form(store, model_id, key, span, role)


def _render_form(store: Store, model_id: str, key: str, span: tuple[dt.date, dt.date], role: str) -> None:
    st.caption("Trains on the approved loans of the window whose outcome has matured (declined applicants never "
               "have one: the card states this reject-inference bias), holds out the window's latest matured "
               "months for an out-of-time validation, registers the model as a challenger with a draft card, "
               "and scores the champion's applications from the first validation month on in shadow, marked "
               "as backfilled, so Challengers compares them at once.")
    cards = sorted(store.list_cards())
    with st.form(f"retrain_form_{key}"):
        c1, c2, c3 = st.columns([2, 3, 2])
        source = c1.selectbox("Retrain", cards, index=cards.index(model_id), key=f"retrain_source_{key}")
        window = c2.date_input("Applications decided", value=(span[0], span[1]), min_value=span[0],
                               max_value=span[1], key=f"retrain_window_{key}")
        algorithm = c3.selectbox("Algorithm", ALGORITHMS, key=f"retrain_algorithm_{key}",
                                 help="same: scikit-learn's clone of the source pipeline; logistic or hgb: a fresh "
                                      "pipeline on the card's features")
        d1, d2 = st.columns([3, 2])
        new_id = d1.text_input("New model id (optional)", key=f"retrain_id_{key}")
        backfill = d2.date_input("Backfill the champion's applications from", value=None, min_value=span[0],
                                 max_value=span[1], key=f"retrain_backfill_{key}",
                                 help="Empty: from the first validation month. It must not overlap the training "
                                      "months; the backfill runs to the champion's newest day.")
        submitted = st.form_submit_button("Retrain and backfill", type="primary")
    if not submitted:
        return
    start, end = window if isinstance(window, tuple) and len(window) == 2 else span
    request = RetrainRequest(source=str(source), start=start, end=end, algorithm=str(algorithm),
                             new_id=new_id.strip() or None,
                             backfill_start=backfill if isinstance(backfill, dt.date) else None)
    _run(store, request, role)


def _run(store: Store, request: RetrainRequest, role: str) -> None:
    with st.status("Retraining...", expanded=True) as status:
        bar = st.progress(0.0)

        def step(text: str, done: float) -> None:
            status.write(text)
            bar.progress(min(max(done, 0.0), 1.0))

        try:
            result = retrain(store, request, actor=current_user(), role=role, progress=step)
        except (RetrainError, PermissionError, LockTimeout) as exc:
            status.update(label="Nothing was changed", state="error")
            st.warning(str(exc))
            return
        status.update(label=f"Registered {result.model_id}", state="complete")
    st.session_state[FLASH] = result_sentence(result)
    st.rerun()


def result_sentence(result: RetrainResult) -> str:
    s = result.validation.summary
    return (f"Registered challenger {result.model_id}: trained on {fmt_int(result.rows)} matured loans "
            f"({fmt_int(result.bads)} bads) of {', '.join(result.train_months)}; out-of-time AUC {s['auc']:.3f} "
            f"({s['auc_lo']:.3f} to {s['auc_hi']:.3f}) on {fmt_int(result.validation.rows)} loans of "
            f"{', '.join(result.validation.months)}; {fmt_int(result.backfilled)} backfilled shadow scores of "
            f"{result.backfill[0]} to {result.backfill[1]}. Compare it on Challengers.")
