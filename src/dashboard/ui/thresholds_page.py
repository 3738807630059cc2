"""The Thresholds page: move the cutoff (and a review band) and see approvals, losses, profit, workload
and fairness move together; backtest it, apply it as a new policy version."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.backtest import compute_money_basis
from dashboard.analytics.fairness import compute_adverse_impact
from dashboard.analytics.policy import Policy
from dashboard.analytics.thresholds import (
    ThresholdBins,
    ThresholdError,
    ThresholdFigures,
    check_lever,
    compute_fairness,
    compute_threshold_figures,
)
from dashboard.models.card import ModelCard
from dashboard.ui import data
from dashboard.ui import thresholds as ui
from dashboard.ui.assumptions import load_assumptions_cached, render_assumptions
from dashboard.ui.session import current_role, current_user

REVIEW_SEED_WIDTH = 0.02  # a new review band starts this far below the cutoff
TABS = ["Curves", "Fairness", "Figures", "Backtest", "Apply", "Policy history", "Assumptions"]


@dataclass(frozen=True)
class Context:
    """What every part of the page reads: the store, the model, who is here, the policy in force."""

    path: str
    version: str
    model_id: str
    card: ModelCard
    role: str
    user: str
    dates: tuple[dt.date, dt.date]
    assumptions: BusinessAssumptions
    current: Policy


def render() -> None:
    st.title("Thresholds")
    store = data.get_store()
    path, version = str(store.root), store.version()
    cards = store.list_cards()
    if not cards:
        st.info("No model is registered in this store yet. Build the demo store with `make run` "
                "(or `dashboard demo`), or register a model and ingest logs: see the README.")
        st.stop()

    role, user = current_role(), current_user()
    model_id = render_model_picker(cards, data.load_roles_cached(path, version))
    dates = ui.load_dates_cached(path, version, model_id)
    if dates is None:
        st.info(f"{model_id} has no scored applications in this store yet: ingest its prediction logs first.")
        st.stop()
    assumptions = load_assumptions_cached(path, version)
    if isinstance(assumptions, str):
        st.error(f"The business assumptions cannot be read: {assumptions}")
        st.stop()

    flash = st.session_state.pop("thr_flash", None)
    if flash:
        st.success(flash)

    current = ui.load_policy_in_force_cached(path, version, model_id)
    band_text = f", review band from {current.review_from:.3f}" if current.review_from is not None else ""
    st.caption(f"Policy in force for **{model_id}**: v{current.version}, decline at or above "
               f"**{current.cutoff:.3f}**{band_text} ({current.actor or 'model card'}). Scores are P(bad).")
    ctx = Context(path, version, model_id, cards[model_id], role, user, dates, assumptions, current)

    window = st.segmented_control("Applicants of", list(ui.WINDOWS), default=ui.DEFAULT_WINDOW,
                                  key="thr_window") or ui.DEFAULT_WINDOW
    start, end = ui.window_bounds(dates, window)
    bins = ui.load_bins_cached(path, version, model_id, start, end)
    if bins.scores.total == 0:
        st.info(f"No application was scored by {model_id} between {start} and {end}; pick a longer window.")
        st.stop()
    st.caption(f"{bins.scores.total:,} applications scored from {start:%d %b %Y} to {end:%d %b %Y}.")
    render_lever_and_figures(ctx, bins)


def render_model_picker(cards: dict[str, ModelCard], roles: dict[str, str]) -> str:
    """The model, the champion first; ?model= preselects one (an unknown one is named and ignored)."""
    ids = sorted(cards, key=lambda m: (roles.get(m) != "champion", m))
    asked = st.query_params.get("model")
    if asked is not None and asked not in cards:
        st.warning(f"Model {asked!r} from the address is not registered; showing {ids[0]}.")
    model_id = st.selectbox("Model", ids, index=ids.index(asked) if asked in cards else 0,
                            format_func=lambda m: f"{m} ({roles.get(m, 'model')})", key="thr_model")
    return str(model_id)


def resolve_lever_defaults(current: Policy) -> tuple[float, float | None]:
    """The cutoff and review band's lower edge to start from: the address's when valid, else the policy's."""
    default_cut, default_rev = current.cutoff, current.review_from
    q_cut, problem = ui.parse_query_float("cutoff")
    q_rev, problem_rev = ui.parse_query_float("review_from")
    for message in (problem, problem_rev):
        if message:
            st.warning(message)
    if q_cut is not None:
        if 0.0 <= q_cut <= 1.0:
            default_cut = q_cut
        else:
            st.warning(f"The cutoff {q_cut} from the address is outside 0..1 (a cutoff is a probability of the "
                       f"bad outcome); starting from the policy in force, {current.cutoff:.3f}.")
    if q_rev is not None:
        if 0.0 <= q_rev <= 1.0:
            default_rev = q_rev
        else:
            st.warning(f"The review band's lower edge {q_rev} from the address is outside 0..1; ignored.")
    return default_cut, default_rev


def render_lever(model_id: str, current: Policy) -> tuple[float, float | None]:
    """The lever: a cutoff and an optional review band, seeded from the address or the policy in force."""
    default_cut, default_rev = resolve_lever_defaults(current)
    left, right = st.columns([3, 2])
    cutoff = left.slider("Cutoff: decline at or above this score", 0.0, 1.0, value=float(default_cut),
                         step=0.001, format="%.3f", key=f"thr_cutoff_{model_id}")
    use_band = right.toggle("Send a band below the cutoff to review", value=default_rev is not None,
                            key=f"thr_band_{model_id}")
    review_from = None
    if use_band:
        seed = default_rev if default_rev is not None else max(0.0, float(default_cut) - REVIEW_SEED_WIDTH)
        review_from = right.slider("Review band from (scores from here up to the cutoff go to an officer)",
                                   0.0, 1.0, value=float(seed), step=0.001, format="%.3f",
                                   key=f"thr_review_{model_id}")
    return cutoff, review_from


def render_lever_and_figures(ctx: Context, bins: ThresholdBins) -> None:
    cutoff, review_from = render_lever(ctx.model_id, ctx.current)
    try:
        check_lever(cutoff, review_from)
        chosen = compute_threshold_figures(bins.scores, cutoff, review_from, ctx.assumptions)
        in_force = compute_threshold_figures(bins.scores, ctx.current.cutoff, ctx.current.review_from,
                                             ctx.assumptions)
    except ThresholdError as exc:
        st.warning(f"{exc}. Move the sliders so that the review band's lower edge is at or below the cutoff.")
        st.subheader("Policy history")
        ui.render_history(ctx.path, ctx.version, ctx.model_id)
        st.subheader("Business assumptions")
        render_assumptions(ctx.path, ctx.version, ctx.role, ctx.user, ctx.assumptions)
        return
    render_figures(ctx, bins, cutoff, review_from, chosen, in_force)


def render_figures(ctx: Context, bins: ThresholdBins, cutoff: float, review_from: float | None,
                   chosen: ThresholdFigures, in_force: ThresholdFigures) -> None:
    """The chosen lever's figures against the policy in force, then the tabs."""
    a = ctx.assumptions
    width = 0.0 if review_from is None else cutoff - review_from
    curves, optimum = ui.compute_curves_and_optimum(bins, a, width)
    fairness = compute_fairness(bins.groups, cutoff, review_from, a)
    ui.render_metrics(chosen, in_force, compute_adverse_impact(fairness, a.min_group_size).value, a)
    ui.render_sources(chosen, bins)
    if optimum is not None:
        band_note = f" (with a review band {width:.3f} wide below it)" if width > 0 else ""
        st.caption(f"Profit-optimal cutoff on this window: **{optimum:.3f}**{band_note}, under the "
                   "business assumptions in force (tab Assumptions).")
    marks = {"in force": ctx.current.cutoff, "chosen": cutoff, "profit-optimal": optimum}
    # Charts are drawn only in the open tab (switching tabs reruns the page); tables and forms stay.
    tabs = st.tabs(TABS, key="thr_tab", on_change="rerun")
    with tabs[0]:
        if tabs[0].open is not False:
            ui.render_curves(bins, a, width, marks, curves)
    with tabs[1]:
        ui.render_fairness(bins, cutoff, review_from, a, ctx.card.protected_attributes,
                           chart=tabs[1].open is not False)
    with tabs[2]:
        ui.render_figures_table(chosen, in_force, a, compute_money_basis(bins.scores, cutoff))
    with tabs[3]:
        ui.render_backtest(ctx.path, ctx.version, ctx.model_id, ctx.dates, (cutoff, review_from), a)
    with tabs[4]:
        ui.render_apply(ctx.path, ctx.model_id, ctx.role, ctx.user, ctx.current, cutoff, review_from)
    with tabs[5]:
        ui.render_history(ctx.path, ctx.version, ctx.model_id)
    with tabs[6]:
        render_assumptions(ctx.path, ctx.version, ctx.role, ctx.user, a)
