"""Cached loaders and render helpers of the Thresholds page (the levers of the decision policy)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.backtest import (
    compute_backtest,
    compute_calibration_gap,
    compute_selection_note,
    describe_sources,
)
from dashboard.analytics.binning import GROUP_SCORE_BINS
from dashboard.analytics.fairness import compute_adverse_impact
from dashboard.analytics.money import MoneyBasis
from dashboard.analytics.policy import Policy
from dashboard.analytics.thresholds import (
    ThresholdBins,
    ThresholdError,
    ThresholdFigures,
    compute_fairness,
    compute_fairness_curves,
    compute_profit_optimal,
    compute_threshold_curves,
    compute_threshold_figures,
)
from dashboard.services.policy import POLICY_ROLES, apply_policy, policy_in_force, policy_log
from dashboard.services.thresholds import load_score_dates, load_threshold_bins
from dashboard.ui.data import QUERY_TTL, store_at
from dashboard.ui.fairness import render_group_table
from dashboard.ui.figure_view import render_figure
from dashboard.ui.format import fmt_int, fmt_pct
from dashboard.ui.format import fmt_money as fmt_amount
from dashboard.ui.money import render_money_basis
from dashboard.ui.thresholds_charts import (
    plotly_air_curve,
    plotly_group_approval,
    plotly_threshold_curve,
)

WINDOWS = {"Last 90 days": 90, "Last 180 days": 180, "Last 365 days": 365, "Whole history": None}
DEFAULT_WINDOW = "Last 180 days"



# ---------------------------------------------------------------------------- cached loaders
@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_bins_cached(store_path: str, version: str, model_id: str, start: dt.date | None,
                     end: dt.date | None) -> ThresholdBins:
    """Per-bin arrays of one model and window: computed once, then every slider move is vector maths."""
    return load_threshold_bins(store_at(store_path), model_id, start, end)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_dates_cached(store_path: str, version: str, model_id: str) -> tuple[dt.date, dt.date] | None:
    return load_score_dates(store_at(store_path), model_id)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_policy_log_cached(store_path: str, version: str, model_id: str) -> list[dict[str, Any]]:
    return policy_log(store_at(store_path), model_id)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_policy_in_force_cached(store_path: str, version: str, model_id: str) -> Policy:
    return policy_in_force(store_at(store_path), model_id)


# ---------------------------------------------------------------------------- helpers
def window_bounds(dates: tuple[dt.date, dt.date], label: str) -> tuple[dt.date, dt.date]:
    first, last = dates
    days = WINDOWS.get(label)
    start = first if days is None else max(first, last - dt.timedelta(days=days - 1))
    return start, last


def matured_window(dates: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """A past window whose outcomes have had their 12 months to arrive (or the first half)."""
    first, last = dates
    end = last - dt.timedelta(days=365)
    if end <= first:
        end = first + (last - first) / 2
    start = max(first, end - dt.timedelta(days=182))
    return start, end


def parse_query_float(name: str) -> tuple[float | None, str | None]:
    """A number from the address (?cutoff=0.2); a message instead when it is not one."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return None, None
    try:
        return float(raw), None
    except ValueError:
        return None, f"{name}={raw!r} in the address is not a number; it was ignored."


# ---------------------------------------------------------------------------- render
def render_metrics(chosen: ThresholdFigures, force: ThresholdFigures, min_air: float | None,
                   a: BusinessAssumptions) -> None:
    def fmt_money(value: float | None) -> str:
        return fmt_amount(value, a.currency)

    def delta(a: float | None, b: float | None, pct: bool = False, money: bool = False) -> str | None:
        if a is None or b is None or abs(a - b) < 1e-9:
            return None  # no arrow when the chosen policy equals the one in force
        if pct:
            return f"{(a - b) * 100:+.1f} pts"
        if money:
            return ("+" if a >= b else "") + fmt_money(a - b)
        return f"{a - b:+,.0f}"

    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Approval rate", fmt_pct(chosen.approval_rate), delta(chosen.approval_rate, force.approval_rate, True),
              help="Expected approvals over all applications in the window: automatic approvals plus the "
                   "assumed share of the review band. The change is against the policy in force.")
    c2.metric("Expected bad rate (approved)", fmt_pct(chosen.expected_bad_rate, 2),
              delta(chosen.expected_bad_rate, force.expected_bad_rate, True), delta_color="inverse",
              help="Expected defaults over expected approvals: realized where the loan has a matured outcome, "
                   "estimated from the calibrated score where it has not.")
    c3.metric("Expected defaults", fmt_int(chosen.expected_defaults),
              delta(chosen.expected_defaults, force.expected_defaults), delta_color="inverse",
              help=f"{chosen.realized_defaults:,.0f} realized on matured loans + "
                   f"{chosen.estimated_defaults:,.1f} estimated from scores.")
    c4.metric("Expected credit losses", fmt_money(chosen.expected_losses),
              delta(chosen.expected_losses, force.expected_losses, money=True), delta_color="inverse",
              help=f"{fmt_money(chosen.realized_losses)} realized on matured loans (their loss amounts, else "
                   f"amount x LGD) + {fmt_money(chosen.estimated_losses)} estimated (score x average amount x "
                   "LGD).")
    c5, c6, c7, c8 = st.columns(4)
    c5.metric("Expected profit", fmt_money(chosen.expected_profit),
              delta(chosen.expected_profit, force.expected_profit, money=True),
              help="Interest on good loans (their amounts where the outcome gives them, else the average "
                   "amount; x margin x term) minus credit losses minus the cost of reviews.")
    c6.metric("Review workload", f"{fmt_int(chosen.review)} applications",
              delta(chosen.review, force.review), delta_color="off",
              help="Applications in the review band, sent to a credit officer.")
    c7.metric("Officer hours", f"{chosen.review_hours:,.0f} h", delta(chosen.review_hours, force.review_hours),
              delta_color="off", help=f"Review cost {fmt_money(chosen.review_cost)}.")
    c8.metric("Lowest adverse impact ratio", "n/a" if min_air is None else f"{min_air:.2f}",
              None if min_air is None else ("passes four-fifths" if min_air >= 0.8 else "fails four-fifths"),
              delta_color="normal" if min_air is not None and min_air >= 0.8 else "inverse", delta_arrow="off",
              help="Lowest group approval rate over the highest of the same protected attribute, among "
                   f"groups with at least {a.min_group_size} applications (numeric attributes in bands); "
                   "below 0.8 fails the four-fifths rule.")


def render_figures_table(chosen: ThresholdFigures, force: ThresholdFigures, a: BusinessAssumptions,
                         basis: MoneyBasis) -> None:
    rows = [("Applications in the window", chosen.applications, force.applications, "int"),
            ("Approved automatically", chosen.auto_approved, force.auto_approved, "int"),
            ("Sent to review", chosen.review, force.review, "int"),
            ("Declined", chosen.declined, force.declined, "int"),
            ("Approved with a matured outcome (realized)", chosen.labelled_approved, force.labelled_approved, "int"),
            ("Defaults, realized", chosen.realized_defaults, force.realized_defaults, "int"),
            ("Defaults, estimated from scores", chosen.estimated_defaults, force.estimated_defaults, "int"),
            ("Losses, realized", chosen.realized_losses, force.realized_losses, "money"),
            ("Losses, estimated", chosen.estimated_losses, force.estimated_losses, "money"),
            ("Interest income", chosen.interest_income, force.interest_income, "money"),
            ("Review cost", chosen.review_cost, force.review_cost, "money")]
    def shown(value: float, kind: str) -> str:
        return fmt_int(value) if kind == "int" else fmt_amount(value, a.currency)

    table = pd.DataFrame([{"figure": name, "chosen": shown(c, kind), "in force": shown(f, kind)}
                          for name, c, f, kind in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    render_money_basis(basis, a)


def render_fairness(bins: ThresholdBins, cutoff: float, review_from: float | None,
                    a: BusinessAssumptions, attributes: tuple[str, ...], chart: bool = True) -> float | None:
    """Approval by protected group and adverse impact ratio; returns the lowest ratio.

    `chart=False` (the tab is not open) leaves out the figure, the one costly part."""
    if bins.groups.empty:
        st.info("No protected attribute is logged for this model "
                f"(its card names: {', '.join(attributes) or 'none'}), so fairness cannot be shown.")
        return None
    fairness = compute_fairness(bins.groups, cutoff, review_from, a)
    failing = fairness[fairness["four_fifths_ok"] == False]  # noqa: E712 (None means not in the ratio)
    if not failing.empty:
        names = ", ".join(f"{r.attribute} {r.group} ({r.adverse_impact_ratio:.2f})" for r in failing.itertuples())
        st.warning(f"Four-fifths rule not met for: {names}. Approval rates come from {GROUP_SCORE_BINS}-bin group "
                   f"histograms (within {1 / GROUP_SCORE_BINS:g} of the cutoff).")
    air = compute_adverse_impact(fairness, a.min_group_size)
    if air.left_out:
        st.caption(f"Left out of the ratio (fewer than {a.min_group_size} applications, or unknown): "
                   + ", ".join(air.left_out) + ".")
    left, right = st.columns([3, 2])
    if chart:
        render_figure(plotly_group_approval(fairness), left)
    render_group_table(fairness, a.min_group_size, right)
    return air.value


def compute_curve_range(bins: ThresholdBins, marks: dict[str, float | None]) -> tuple[float, float]:
    """Where the curves move: the window's scores (0.1% to 99.9% of them) and the marked cutoffs,
    with a margin; a model whose scores all sit in 0.30-0.36 is drawn there, not over 0..1."""
    counts = bins.scores.n.sum(axis=0)
    points = [m for m in marks.values() if m is not None]
    if counts.sum() > 0:
        cum = np.cumsum(counts) / counts.sum()
        edges = np.linspace(0.0, 1.0, len(counts) + 1)
        points += [float(edges[int(np.searchsorted(cum, 0.001))]), float(edges[int(np.searchsorted(cum, 0.999)) + 1])]
    if not points:
        return 0.0, 1.0
    lo, hi = min(points), max(points)
    pad = max(0.01, 0.1 * (hi - lo))
    return max(0.0, lo - pad), min(1.0, hi + pad)


def render_curves(bins: ThresholdBins, a: BusinessAssumptions, width: float,
                  marks: dict[str, float | None], curves: pd.DataFrame) -> None:
    x_range = compute_curve_range(bins, marks)
    left, right = st.columns(2)
    render_figure(plotly_threshold_curve(
        curves, [("approval_rate", "approval rate"), ("expected_bad_rate", "expected bad rate (approved)")],
        "Approval and expected bad rate", marks, ".0%", x_range), left)
    render_figure(plotly_threshold_curve(
        curves, [("expected_profit", "expected profit"), ("expected_losses", "expected credit losses")],
        f"Expected profit and losses ({a.currency})", marks, ",.3s", x_range), right)
    left, right = st.columns(2)
    render_figure(plotly_threshold_curve(
        curves, [("expected_defaults", "expected defaults"), ("realized_defaults", "of which realized")],
        "Expected defaults", marks, ",.0f", x_range), left)
    if width > 0:
        render_figure(plotly_threshold_curve(
            curves, [("review_hours", "officer hours")], f"Review workload (band {width:.3f} wide)", marks,
            ",.0f", x_range), right)
    if not bins.groups.empty:
        fair_curves = compute_fairness_curves(bins.groups, a, width)
        render_figure(plotly_air_curve(fair_curves, marks, x_range), left if width > 0 else right)


def render_backtest(store_path: str, version: str, model_id: str, dates: tuple[dt.date, dt.date],
                    chosen: tuple[float, float | None], a: BusinessAssumptions) -> None:
    first, last = dates
    default = matured_window(dates)
    picked = st.date_input("Backtest window", value=default, min_value=first, max_value=last,
                           key=f"thr_backtest_{model_id}",
                           help="Default: six months whose outcomes have had 12 months to arrive.")
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick the first and the last day of the backtest window.")
        return
    start, end = picked
    bins = load_bins_cached(store_path, version, model_id, start, end)
    if bins.scores.total == 0:
        st.info(f"No application was scored by {model_id} between {start} and {end}; pick another window.")
        return
    store = store_at(store_path)
    force = policy_in_force(store, model_id, dt.datetime.combine(end, dt.time.max))
    try:
        table = compute_backtest(bins.scores, chosen, (force.cutoff, force.review_from), a)
    except ThresholdError as exc:
        st.warning(str(exc))
        return
    money = {"realized_losses", "estimated_losses", "expected_losses", "review_cost", "expected_profit"}
    pct = {"approval_rate", "expected_bad_rate"}

    def show(key: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return "n/a"
        if key in money:
            return fmt_amount(float(value), a.currency)
        if key in pct:
            return f"{float(value):.2%}" if key == "expected_bad_rate" else fmt_pct(float(value))
        return fmt_int(float(value))

    labels = {"logged": "logged decisions", "in_force": f"policy in force (v{force.version}, {force.cutoff:.3f})",
              "chosen": f"chosen ({chosen[0]:.3f})", "difference": "chosen - in force"}
    out = pd.DataFrame({"figure": table["figure"]})
    for col, label in labels.items():
        if col == "logged" and table["logged"].isna().all():
            continue
        out[label] = [show(k, v) for k, v in zip(table["key"], table[col], strict=True)]
    st.dataframe(out, hide_index=True, width="stretch")
    gap = compute_calibration_gap(bins.scores)
    note = compute_selection_note(bins.scores, chosen[0], force.cutoff)
    if gap is None:
        st.warning("No application in this window has a matured outcome yet: the backtest is entirely "
                   "estimated from scores. Pick an older window.")
    else:
        note += (f" On the {gap['labelled']:,.0f} matured loans of this window the model predicted "
                 f"{gap['predicted_defaults']:,.0f} defaults and {gap['realized_defaults']:,.0f} happened "
                 f"(ratio {gap['ratio']:.2f}).")
    st.caption(note)


def render_apply(store_path: str, model_id: str, role: str, user: str, current: Policy,
                 cutoff: float, review_from: float | None) -> None:
    """The apply form for permitted roles; an explanation for the others (the write refuses them too)."""
    if role not in POLICY_ROLES:
        st.info("You can move the lever and see its effects, but only a data scientist or an administrator "
                "may apply a new policy.")
        return
    with st.form(f"thr_apply_{model_id}", clear_on_submit=False):
        band = f", review band from {review_from:.3f}" if review_from is not None else ", no review band"
        st.markdown(f"New policy for **{model_id}**: decline at or above **{cutoff:.3f}**{band} "
                    f"(in force: v{current.version}, cutoff {current.cutoff:.3f}).")
        rationale = st.text_area("Rationale (required)", key=f"thr_rationale_{model_id}",
                                 placeholder="Why this cutoff: the figures, the approval, the ticket")
        when = st.radio("Effective", ["now", "from a date"], horizontal=True, key=f"thr_when_{model_id}")
        day = st.date_input("Effective from (00:00 UTC)", value=dt.date.today() + dt.timedelta(days=1),
                            key=f"thr_day_{model_id}")
        submitted = st.form_submit_button("Apply policy", type="primary")
    if submitted:
        effective = None if when == "now" else dt.datetime.combine(day, dt.time())
        try:
            event = apply_policy(store_at(store_path), model_id, cutoff, review_from, rationale, actor=user,
                                 effective_at=effective, role=role)
        except (ValueError, PermissionError) as exc:
            st.error(f"Not applied: {exc}")
            return
        st.session_state["thr_flash"] = (f"Policy stored for {model_id}: cutoff {event['cutoff']:.3f}, "
                                         f"effective {event['effective_at'][:19]}.")
        st.rerun()


def render_history(store_path: str, version: str, model_id: str) -> None:
    rows = load_policy_log_cached(store_path, version, model_id)
    frame = pd.DataFrame(rows[::-1])
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "cutoff": st.column_config.NumberColumn(format="%.3f"),
        "review_from": st.column_config.NumberColumn("review from", format="%.3f"),
        "previous_cutoff": st.column_config.NumberColumn("old cutoff", format="%.3f"),
        "previous_review_from": st.column_config.NumberColumn("old review from", format="%.3f")})


def compute_curves_and_optimum(bins: ThresholdBins, a: BusinessAssumptions,
                               width: float) -> tuple[pd.DataFrame, float | None]:
    curves = compute_threshold_curves(bins.scores, a, width)
    return curves, compute_profit_optimal(curves)


def figures_or_message(bins: ThresholdBins, cutoff: float, review_from: float | None,
                       a: BusinessAssumptions) -> ThresholdFigures | None:
    try:
        return compute_threshold_figures(bins.scores, cutoff, review_from, a)
    except ThresholdError as exc:
        st.warning(str(exc))
        return None


def render_sources(figures: ThresholdFigures, bins: ThresholdBins) -> None:
    text = describe_sources(figures)
    gap = compute_calibration_gap(bins.scores)
    if gap is None:
        st.warning("This model has no matured outcome in the window yet: every default, loss and profit "
                   "figure below is estimated from the calibrated score, and cannot be checked yet.")
    else:
        text += (f" Calibration check on matured loans of the window: {gap['realized_defaults']:,.0f} defaults "
                 f"against {gap['predicted_defaults']:,.0f} predicted (ratio {gap['ratio']:.2f}"
                 f"{'; scores under-predict, so estimates are optimistic' if gap['ratio'] > 1.1 else ''}).")
    st.caption(text + " Declined applicants never get an outcome.")
