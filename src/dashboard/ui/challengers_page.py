"""The Challengers page: champion against challengers on the same applications; promote with a record."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.analytics.explainability import compute_tradeoff, compute_tradeoff_sentences
from dashboard.services.challengers import CARD_CUTOFF, SAME_POLICY, ComparisonView, data_window
from dashboard.services.registry import PROMOTERS, PromotionError, promote, promotion_history
from dashboard.services.stores import LockTimeout
from dashboard.ui import data
from dashboard.ui.challengers import (
    explain_summary,
    find_compared_models,
    load_comparison_cached,
    load_explainability,
    load_psi_cached,
    render_explainability,
    render_history,
    render_metrics,
    render_money_and_fairness,
    render_population,
    render_stability,
    render_swap_set,
)
from dashboard.ui.challengers_charts import plotly_tradeoff
from dashboard.ui.figure_view import render_figure
from dashboard.ui.retrain import render_backfill_labels, render_calibration, render_retrain_panel
from dashboard.ui.session import current_role, current_user

if TYPE_CHECKING:
    from dashboard.store import Store

SECTIONS = ["Accuracy", "Profit and fairness", "Swap set", "Explainability", "Stability"]


def render() -> None:
    st.title("Challengers")
    store = data.get_store()
    path, version = str(store.root), store.version()
    cards = store.list_cards()
    champion, others = find_compared_models(path, version, cards)
    if not cards or champion is None:
        st.info("No model is registered yet. Register a champion and its challengers and ingest their logs: "
                "see the README, section 'Bring your own model and logs'.")
        st.stop()
    st.caption(f"Champion now: **{champion}** ({cards[champion].name}). Challengers score the same applications "
               "in shadow: their scores are logged, the champion's decision stands.")

    tab_compare, tab_promote = st.tabs(["Compare", "Promote"])
    with tab_compare:
        render_compare(store, champion, others)
    with tab_promote:
        render_promote(store, others)
    render_retrain_panel(store, champion, "challengers")


def render_compare(store: Store, champion: str, others: list[str]) -> None:
    """The window, challengers and cutoff rule picked; then the chosen section of the comparison."""
    window = data_window(store, champion)
    if window is None:
        st.info(f"The champion {champion} has no prediction logs yet, so there is nothing to compare.")
        return
    if not others:
        st.info("Only one model is registered: register a challenger and log its shadow scores to compare.")
        return
    c1, c2, c3 = st.columns([3, 2, 2])
    chosen = c1.multiselect("Challengers", others, default=others, key="chal_models")
    span = c2.date_input("Applications decided", value=(window[0], window[1]), min_value=window[0],
                         max_value=window[1], key="chal_window")
    rule = c3.radio("Challengers approve below", [CARD_CUTOFF, SAME_POLICY], key="chal_rule",
                    help="The champion always uses its policy in force. Challengers use the cutoff in their own "
                         "card, or the champion's policy cutoff.")
    start, end = (span if isinstance(span, tuple) and len(span) == 2 else (window[0], window[1]))
    if not chosen:
        st.info("Pick at least one challenger to compare with the champion.")
        return
    path, version = str(store.root), store.version()
    view = load_comparison_cached(path, version, champion, tuple(chosen), start, end, rule)
    render_population(view)
    backfilled = render_backfill_labels(store, view.comparison.models, start, end)
    if view.comparison.applications == 0:
        st.info("No application in this window was scored by the champion and the chosen challengers. "
                "Widen the window or pick another challenger.")
        return
    section = st.segmented_control("Section", SECTIONS, default="Accuracy", key="chal_section") or "Accuracy"
    render_section(section, view, path, version, champion)
    if section == "Accuracy":
        render_calibration(view.comparison, backfilled)


def render_section(section: str, view: ComparisonView, path: str, version: str, champion: str) -> None:
    comp = view.comparison
    if section == "Accuracy":
        render_metrics(comp)
    elif section == "Profit and fairness":
        render_money_and_fairness(comp, view.assumptions)
    elif section == "Swap set":
        if len(comp.models) < 2:
            st.info("None of the chosen challengers shares applications with the champion here.")
        else:
            target = st.selectbox("Challenger", comp.models[1:], key="chal_swap_model")
            render_swap_set(comp, str(target), view.assumptions)
    elif section == "Explainability":
        infos = [load_explainability(path, m) for m in comp.models]
        explain = pd.DataFrame([explain_summary(i) for i in infos])
        table = compute_tradeoff(comp.metrics, explain)
        render_figure(plotly_tradeoff(table))
        render_explainability(infos, table, compute_tradeoff_sentences(table, champion))
    else:
        render_stability(load_psi_cached(path, version, tuple(comp.models)))


def render_promote(store: Store, others: list[str]) -> None:
    """The promotion history, and the form that promotes a challenger (data scientists and admins)."""
    flash = st.session_state.pop("promote_flash", None)
    if flash:
        st.success(flash)
    st.subheader("Promotion history")
    render_history(promotion_history(store))
    role = current_role()
    st.subheader("Promote a challenger")
    if role not in PROMOTERS:
        st.info("Only a data scientist or an administrator can promote a model.")
    elif not others:
        st.info("There is no challenger to promote.")
    else:
        st.caption("From the next batch on, the promoted model decides; the old champion keeps scoring in shadow. "
                   "The promotion is stored as an immutable event with who, when and why.")
        with st.form("promote_form", clear_on_submit=False):
            target = st.selectbox("Model to promote", others, key="promote_model")
            rationale = st.text_area("Rationale (required)", key="promote_rationale",
                                     placeholder="e.g. equal AUC within the intervals, fewer material features, "
                                                 "monotone in every expected direction")
            submitted = st.form_submit_button("Promote to champion", type="primary")
        if submitted:
            submit_promotion(store, str(target), rationale, role)


def submit_promotion(store: Store, target: str, rationale: str, role: str) -> None:
    try:
        event = promote(store, target, rationale, actor=current_user(), role=role)
    except (PromotionError, PermissionError, LockTimeout) as exc:
        st.warning(str(exc))
    else:
        st.session_state["promote_flash"] = (
            f"{event['model_id']} is now the champion (was {event['previous_champion']}), recorded at "
            f"{event['at'][:19]} UTC.")
        st.rerun()
