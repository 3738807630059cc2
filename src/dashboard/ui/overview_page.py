"""The Overview page: the portfolio at a glance, read from rollups, redrawn live."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.analytics.overview import (
    compute_model_table,
    compute_period_summary,
    compute_trend,
    describe_age,
)
from dashboard.models.card import ModelCard
from dashboard.ui import data
from dashboard.ui.charts import plotly_bad_rate_maturity, plotly_volume_approval
from dashboard.ui.figure_view import render_figure
from dashboard.ui.format import fmt_delta_pct_points, fmt_delta_ratio, fmt_int, fmt_pct
from dashboard.ui.ingest_activity import render_sources
from dashboard.ui.performance import (
    config_key,
    load_alert_config_safe,
    load_all_alerts_cached,
    refreshed_caption,
    render_alerts,
    render_live_controls,
)

if TYPE_CHECKING:
    from dashboard.store import Store

PERIODS = {"Last 30 days": 30, "Last 90 days": 90, "Whole history": None}
DEFAULT_PERIOD = "Last 30 days"


def render() -> None:
    st.title("Overview")
    interval = render_live_controls("overview")
    # Redrawn in place every `interval` seconds (a fragment rerun, not a page reload).
    st.fragment(run_every=interval)(render_body)(interval)


def render_body(interval: float | None) -> None:
    store = data.get_store()
    path, version = str(store.root), store.version()
    cards = store.list_cards()
    daily = data.load_daily_cached(path, version)
    if not cards or daily.empty:
        st.info("This store holds no prediction logs yet. Build the demo store with `make run` "
                "(or `dashboard demo`), or register a model and ingest logs: see the README.")
        return

    roles = data.load_roles_cached(path, version)
    champion = next((m for m, r in sorted(roles.items()) if r == "champion"), sorted(roles)[0])
    champ_daily = daily[daily["model_id"] == champion]

    # Charts and table go out before the metrics above them, so that the browser draws them
    # while the rest of this run is computed.
    head = st.container()
    left, right = st.columns(2)
    render_figure(plotly_volume_approval(compute_trend(champ_daily, "W")), left)
    render_figure(plotly_bad_rate_maturity(compute_trend(champ_daily, "M")), right)

    st.subheader("Models")
    table = compute_model_table(daily, roles, {m: c.name for m, c in cards.items()},
                                {m: c.validation_metrics.get("auc") for m, c in cards.items()})
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"validation AUC": st.column_config.NumberColumn(format="%.3f")})

    with head:
        render_headline(store, champion, cards[champion], champ_daily, daily)
    latest_pred = render_freshness(store, daily)
    render_alerts_section(path, version)
    st.caption(refreshed_caption(interval, latest_pred))


def render_headline(store: Store, champion: str, card: ModelCard, champ_daily: pd.DataFrame,
                    daily: pd.DataFrame) -> None:
    """The period picker and the champion's figures for it, against the period before."""
    last_day = pd.to_datetime(daily["date"]).max().date()
    first_day = pd.to_datetime(daily["date"]).min().date()
    window = st.segmented_control("Period", list(PERIODS), default=DEFAULT_PERIOD,
                                  key="overview_window") or DEFAULT_PERIOD
    days = PERIODS.get(window)
    start = first_day if days is None else last_day - dt.timedelta(days=days - 1)
    now = compute_period_summary(champ_daily, start, last_day)
    before = None
    if days is not None:
        before = compute_period_summary(champ_daily, start - dt.timedelta(days=days), start - dt.timedelta(days=1))

    st.caption(f"Decisions by the champion **{champion}** ({card.name}), "
               f"{start:%d %b %Y} to {last_day:%d %b %Y}.")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Applications", fmt_int(now.applications),
              fmt_delta_ratio(now.applications, before.applications if before else None),
              help="Applications scored by the champion in the period; the change is against the period before.")
    c2.metric("Approval rate", fmt_pct(now.approval_rate),
              fmt_delta_pct_points(now.approval_rate, before.approval_rate if before else None),
              help="Approved over decided applications.")
    whole = compute_period_summary(champ_daily, first_day, last_day)
    # The period's own figures; the whole history only where the period has no matured loan yet,
    # and then labelled as such.
    matured_here = now.labelled_approved > 0
    shown = now if matured_here else whole
    c3.metric("Realized bad rate (matured loans)" + ("" if matured_here else ", whole history"),
              fmt_pct(shown.realized_bad_rate),
              help=f"Defaulted over approved loans that already have an outcome "
                   f"({fmt_int(shown.labelled_approved)} matured loans, "
                   f"{'decided in the period' if matured_here else 'whole history'}). "
                   "Declined applicants never get an outcome.")
    c4.metric("Label maturity", fmt_pct(now.label_maturity),
              help="Share of the loans approved in the period whose outcome has arrived (outcomes come "
                   f"months later): {fmt_int(now.labelled_approved)} of {fmt_int(now.approved)}.")
    if not matured_here:
        st.caption("No outcome has matured yet for loans decided in this period; the bad rate above is over "
                   f"the whole history ({fmt_int(whole.labelled_approved)} matured loans).")

    overrides = store.read_events("override")
    if overrides:
        decided = whole.applications
        st.metric("Override rate, whole history", fmt_pct(len(overrides) / decided if decided else None, 2),
                  help="Decisions overridden by a credit officer, over all champion decisions since the "
                       "first log (the Impact page gives it per period).")


def render_freshness(store: Store, daily: pd.DataFrame) -> pd.Timestamp:
    """The latest prediction and outcome and the quarantine count; returns the latest prediction's time."""
    st.subheader("Freshness")
    stamp = pd.Timestamp.now(tz="UTC").tz_localize(None)
    latest_pred = pd.Timestamp(daily["last_ts"].max())
    latest_outcome = data.load_latest_outcome_cached(str(store.root), store.version())
    f1, f2, f3 = st.columns(3)
    f1.metric("Latest prediction", f"{latest_pred:%Y-%m-%d %H:%M}", describe_age(latest_pred, stamp),
              delta_color="off")
    f2.metric("Latest outcome", f"{latest_outcome:%Y-%m-%d %H:%M}" if latest_outcome is not None else "none",
              describe_age(latest_outcome, stamp), delta_color="off")
    f3.metric("Quarantined ingests", fmt_int(store.count_quarantined()),
              help="Files or rows rejected at ingest, kept with their reasons under quarantine/ in the store.")
    render_sources(store)
    return latest_pred


def render_alerts_section(path: str, version: str) -> None:
    st.subheader("Alerts")
    rules, problem = load_alert_config_safe()
    if rules is None:
        st.warning(f"The alert rules cannot be read: {problem}")
    else:
        alerts_now, alerts_history = load_all_alerts_cached(path, version, config_key())
        render_alerts(alerts_now, alerts_history, "overview")
