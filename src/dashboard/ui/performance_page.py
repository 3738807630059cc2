"""The Performance page: realized and estimated model performance over time, latency and alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.analytics.alerts import Rule
from dashboard.analytics.estimation import ESTIMATE_LIMITATION
from dashboard.analytics.histogram import auc_standard_error
from dashboard.analytics.performance import format_bounded
from dashboard.services.performance import MIN_RANKING_BADS, MIN_VALIDATION_LABELS
from dashboard.ui import data
from dashboard.ui.charts import plotly_volume_approval
from dashboard.ui.figure_view import render_figure
from dashboard.ui.format import fmt_int, fmt_pct
from dashboard.ui.performance import (
    config_key,
    load_alert_config_safe,
    load_performance_cached,
    refreshed_caption,
    render_alerts,
    render_live_controls,
)
from dashboard.ui.performance_charts import (
    latency_caption,
    plotly_calibration,
    plotly_confusion,
    plotly_latency,
    plotly_metric_lines,
    plotly_psi,
    plotly_realized_vs_estimated,
    plotly_score_distribution,
    plotly_validation,
)
from dashboard.ui.retrain import render_backfill_labels
from dashboard.ui.segments import render_segments

if TYPE_CHECKING:
    from dashboard.services.performance import PerformanceView

HEADLINE_MIN_BADS = 20  # the headline AUC is the latest month's with at least this many bads
TABLE_COLUMNS = ["period", "applications", "approval_rate", "granted", "labelled", "label_maturity", "bad_rate",
                 "auc", "ks", "gini", "brier", "precision", "recall", "expected_auc", "expected_bad_rate",
                 "expected_precision", "expected_recall", "psi", "latency_p50", "latency_p95", "cutoff"]


def render() -> None:
    st.title("Performance")
    store = data.get_store()
    cards = store.list_cards()
    daily = data.load_daily_cached(str(store.root), store.version())
    models = sorted(m for m in cards if not daily.empty and m in set(daily["model_id"]))
    if not models:
        st.info("No model has prediction logs in this store yet. Build the demo store (`dashboard demo`) or "
                "ingest logs, then come back; `dashboard simulate` feeds a store live.")
        st.stop()
    config, problem = load_alert_config_safe()
    if config is None:
        st.error(f"The alert rules cannot be read, so this page cannot judge the figures: {problem}")
        st.stop()

    roles = data.load_roles_cached(str(store.root), store.version())
    champion = next((m for m in models if roles.get(m) == "champion"), models[0])
    asked = st.query_params.get("model")
    if asked is not None and asked not in models:
        st.warning(f"Model {asked!r} from the address has no logs here; showing {champion}.")
    c1, c2 = st.columns([2, 1])
    model_id = c1.selectbox("Model", models, index=models.index(asked if asked in models else champion),
                            format_func=lambda m: f"{m} ({roles.get(m, cards[m].role)}, {cards[m].name})",
                            key="perf_model")
    render_backfill_labels(store, [str(model_id)], None, None)
    grain = c2.segmented_control("By", ["day", "week", "month"], default="month", key="perf_grain") or "month"
    interval = render_live_controls("perf")
    st.fragment(run_every=interval)(render_body)(str(model_id), grain, interval, config.rules)


def format_3(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):.3f}"  # type: ignore[arg-type]


def render_body(model_id: str, grain: str, interval: float | None, rules: dict[str, Rule]) -> None:
    store_now = data.get_store()
    view = load_performance_cached(str(store_now.root), store_now.version(), model_id, grain, config_key())
    m = view.monthly
    last_ts = pd.Timestamp(m["last_ts"].max()) if not m.empty else None
    st.caption(refreshed_caption(interval, last_ts))
    st.caption(
        f"**{model_id}** ({view.role}). Cutoff in force **{view.cutoff:.3f}** (policy version {view.policy_version}); "
        "realized metrics are computed **only on approved applications whose outcome has matured** "
        "(declined applicants never get one); the estimate covers the same approved population"
        + (" (this model scores in shadow: the rows its own cutoff would approve)." if view.role != "champion"
           else ".") + f" AUC, KS and Gini need at least {MIN_RANKING_BADS} bad outcomes in a period.")
    render_headline(view)

    st.subheader("Alerts")
    render_alerts(view.current, view.alerts, "perf")

    # Only the open tab's charts are built and drawn (a tab switch reruns this fragment): a dozen
    # plotly charts drawn at once, most of them hidden, cost the browser more than the data.
    tab_perf, tab_val, tab_scores, tab_lat, tab_table = st.tabs(
        ["Realized and estimated", "Validation of the estimate", "Scores and calibration", "Latency", "Table"],
        key="perf_tab", on_change="rerun")
    with tab_perf:
        if tab_perf.open is not False:
            render_realized_tab(view, grain)
    with tab_val:
        if tab_val.open is not False:
            render_validation_tab(view)
    with tab_scores:
        if tab_scores.open is not False:
            render_scores_tab(view, rules["score_psi"])
    with tab_lat:
        if tab_lat.open is not False:
            render_latency_tab(view, rules["latency_p95"])
    with tab_table:
        render_table_tab(view)
    render_segments(model_id, "perf")


def render_headline(view: PerformanceView) -> None:
    """Five tiles for the latest month: volume, approvals, realized and estimated AUC, label maturity."""
    m = view.monthly
    # The headline uses the latest month with enough bads to mean something; the charts show all.
    matured = m[m["auc"].notna() & (m["bads"] >= HEADLINE_MIN_BADS)]
    if matured.empty:
        matured = m[m["auc"].notna()]
    latest = m.iloc[-1]
    k1, k2, k3, k4, k5 = st.columns(5)
    k1.metric("Applications", fmt_int(latest["applications"]), f"{latest['period']:%b %Y}", delta_color="off")
    k2.metric("Approval rate", fmt_pct(latest["approval_rate"]) if pd.notna(latest["approval_rate"]) else "n/a",
              help="Approved over decided; a shadow model decides nothing.")
    if matured.empty:
        k3.metric("Realized AUC", "n/a", help="No outcome has matured yet.")
    else:
        last = matured.iloc[-1]
        se = auc_standard_error(float(last["auc"]), int(last["bads"]), int(last["labelled"] - last["bads"]))
        k3.metric("Realized AUC", format_bounded(last["auc"], last.get("auc_bound"), "auc"),
                  f"{last['period']:%b %Y}" + ("" if se is None else f", +/- {2 * se:.3f} noise"), delta_color="off",
                  help=f"On {fmt_int(last['labelled'])} approved loans with an outcome ({fmt_int(last['bads'])} bad). "
                       + ("" if view.validation_auc is None else
                          f"The card's validation AUC {view.validation_auc:.3f} is on all applicants, "
                          "which is higher by construction."))
    k4.metric("ESTIMATED AUC", format_3(latest.get("expected_auc")),
              f"{latest['period']:%b %Y}, estimate" if pd.notna(latest.get("expected_auc")) else None,
              delta_color="off",
              help="Confidence-based estimate (CBPE) from calibrated scores; see the limitation below.")
    k5.metric("Label maturity", fmt_pct(latest["label_maturity"])
              if pd.notna(latest["label_maturity"]) else "n/a",
              help="Share of the latest month's granted loans whose outcome has arrived (3 to 12 months later).")
    if view.estimate_note:
        st.info(f"No performance estimate: {view.estimate_note}.")
    else:
        st.caption(f"Estimate calibrated (isotonic regression) on {fmt_int(view.calibration_labels)} matured "
                   f"outcomes of the reference window {view.reference}.")
    st.warning(f"**Limitation of the estimate.** {ESTIMATE_LIMITATION}", icon=":material/info:")


def render_realized_tab(view: PerformanceView, grain: str) -> None:
    p = view.periods
    left, right = st.columns(2)
    render_figure(plotly_volume_approval(p, f"Applications and approval rate by {grain}"), left)
    render_figure(plotly_realized_vs_estimated(
        p, "auc", "expected_auc", "AUC on approved loans: realized vs ESTIMATE", "AUC"), right)
    left, right = st.columns(2)
    render_figure(plotly_realized_vs_estimated(
        p, "bad_rate", "expected_bad_rate", "Bad rate among approved: realized vs ESTIMATE", "bad rate",
        percent=True), left)
    render_figure(plotly_metric_lines(p, {"ks": "KS", "gini": "Gini", "brier": "Brier score"},
                                           "KS, Gini and Brier on matured outcomes"), right)
    if (p["labelled"] == 0).all():
        st.info("No outcome has matured yet for this model's applications: only the estimate is shown.")
    render_precision_recall(view.monthly)


def render_precision_recall(m: pd.DataFrame) -> None:
    """At the cutoff in force: the latest month's estimate, and the realized figures of the latest matured one."""
    st.markdown("**Precision and recall at the cutoff in force** (a *positive* is a default; the model "
                "predicts one when it declines)")
    row = m.iloc[-1]
    a, b = st.columns([1, 1])
    if pd.notna(row.get("tp")):
        render_figure(plotly_confusion(row["tp"], row["fp"], row["fn"], row["tn"],
                                        f"ESTIMATED confusion matrix, {row['period']:%b %Y}, all applications"), b)
        a.metric("Expected precision (estimate)", fmt_pct(row["expected_precision"]))
        a.metric("Expected recall (estimate)", fmt_pct(row["expected_recall"]))
    real = m[m["labelled"] > 0]
    if not real.empty:
        last = real.iloc[-1]
        prec = "n/a" if pd.isna(last["precision"]) else fmt_pct(last["precision"])
        a.metric(f"Realized precision ({last['period']:%b %Y})", prec)
        a.metric(f"Realized recall ({last['period']:%b %Y})", fmt_pct(last["recall"]))
        if pd.isna(last["precision"]):
            a.caption("Every loan with an outcome was approved, i.e. scored below the cutoff: declines never "
                      "get an outcome, so realized precision is undefined and realized recall is 0 by "
                      "construction. The estimate above covers the declines.")


def render_validation_tab(view: PerformanceView) -> None:
    st.markdown("The estimate made **without labels**, compared with the truth on cohorts whose outcomes "
                "have since arrived. *Noise (2 SE)* is the realized AUC's own sampling noise "
                "(Hanley-McNeil): an error inside it cannot be told apart from chance. Months with few "
                "matured bads are noisy, so quarters are pooled as well.")
    if view.validation_month.empty:
        st.info(f"No cohort has enough matured outcomes ({MIN_VALIDATION_LABELS}) to validate the estimate yet.")
        return
    pick = st.segmented_control("Cohorts", ["quarter", "month"], default="quarter", key="perf_val_grain")
    table = view.validation_quarter if pick == "quarter" else view.validation_month
    render_figure(plotly_validation(table))
    fmt = {c: st.column_config.NumberColumn(format="%.3f") for c in
           ("realized AUC", "estimated AUC", "AUC error", "noise (2 SE)", "realized bad rate",
            "estimated bad rate", "bad rate error", "label maturity")}
    st.dataframe(table, hide_index=True, width="stretch", column_config=fmt)
    st.caption("Where realized bad rate runs well above the estimate, the world changed under the "
               "model (concept drift): the estimate cannot see it, realized outcomes do.")


def render_scores_tab(view: PerformanceView, psi_rule: Rule) -> None:
    left, right = st.columns(2)
    render_figure(plotly_score_distribution(view.score_distribution, view.cutoff,
                                                "Score distribution: reference vs latest month"), left)
    render_figure(plotly_psi(view.periods, psi_rule.warning, psi_rule.critical), right)
    if view.calibration_curve.empty:
        st.info("No matured outcome yet: no calibration curve.")
    else:
        render_figure(plotly_calibration(view.calibration_curve))
        st.caption("Deciles of approved loans with an outcome. Points above the diagonal: more defaults than "
                   "the score said.")


def render_latency_tab(view: PerformanceView, p95_rule: Rule) -> None:
    p = view.periods
    if p["latency_p95"].isna().all():
        st.info("These logs carry no `latency_ms`: no latency figures.")
        return
    render_figure(plotly_latency(p, p95_rule.warning))
    st.caption(latency_caption(p))


def render_table_tab(view: PerformanceView) -> None:
    p = view.periods
    st.dataframe(p[[c for c in TABLE_COLUMNS if c in p]], hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in TABLE_COLUMNS
                                if c not in ("period", "applications", "granted", "labelled")})
    st.caption("Realized columns: approved loans with a matured outcome. expected_*: the estimate (CBPE); "
               "expected precision/recall use every application at the cutoff in force.")
