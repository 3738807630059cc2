"""The Drift page: is the model still looking at the world it was trained on, and does that world
still behave the same?"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from dashboard.analytics.binning import FEATURE_BINS
from dashboard.analytics.drift import DriftReport, validate_windows
from dashboard.analytics.drift_thresholds import SHIFTED, WATCH, DriftThresholds
from dashboard.models.card import ModelCard
from dashboard.services.drift import Window
from dashboard.ui import data
from dashboard.ui.drift import (
    load_drift_report_cached,
    load_feature_overlay_cached,
    load_log_span_cached,
    load_prediction_drift_cached,
    load_psi_heatmap_cached,
    render_evidently,
)
from dashboard.ui.drift_charts import (
    plotly_approval_trend,
    plotly_calibration_bands,
    plotly_calibration_trend,
    plotly_feature_overlay,
    plotly_psi_heatmap,
    plotly_score_overlay,
)
from dashboard.ui.figure_view import render_figure
from dashboard.ui.format import fmt_int, fmt_pct
from dashboard.ui.retrain import render_backfill_labels, render_retrain_panel
from dashboard.ui.segments import render_segments

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from dashboard.store import Store

RULES = DriftThresholds()  # the bands every drift figure is judged by (the analytics' defaults)
DATE_MIN = dt.date(2000, 1, 1)
DEFAULT_REFERENCE_DAYS = 90  # the reference period of the logs the page starts from: the first days
DEFAULT_CURRENT_DAYS = 30    # the current period it starts from: the last days
TABS = ["Features", "PSI heatmap", "Drill-down", "Prediction drift", "Concept drift", "Evidently report"]

def render() -> None:
    st.title("Drift")
    store = data.get_store()
    path, version = str(store.root), store.version()
    cards = store.list_cards()
    if not cards:
        st.info("No model is registered in this store yet. Build the demo store with `dashboard demo`, or register "
                "a model and ingest its logs: see the README.")
        st.stop()

    model_id = render_model_picker(cards, data.load_roles_cached(path, version))
    render_backfill_labels(store, [model_id], None, None)
    span = load_log_span_cached(path, version, model_id)
    if span is None:
        st.info(f"Model **{model_id}** has no prediction logs yet, so there is nothing to compare. Ingest its logs "
                "with `dashboard ingest predictions FILE`.")
        st.stop()
    ref_window, cur_window, reference_caption = render_windows(store, model_id, span)
    report = load_drift_report_cached(path, version, model_id, ref_window, cur_window)
    if reference_caption is not None:
        reference_caption.caption(report.reference_label[0].upper() + report.reference_label[1:] + ".")
    check_windows_hold_rows(report, model_id, span, ref_window, cur_window)
    render_verdict(report)
    render_headline(report)
    render_tabs(path, version, cards[model_id], report, ref_window, cur_window)
    render_segments(model_id, "drift", cur_window)
    render_retrain_panel(store, model_id, "drift")


def render_model_picker(cards: dict[str, ModelCard], roles: dict[str, str]) -> str:
    """The model, the champion first; ?model= preselects one."""
    ids = sorted(cards, key=lambda m: (roles.get(m) != "champion", m))
    asked = st.query_params.get("model")
    model_id = st.selectbox("Model", ids, index=ids.index(asked) if asked in ids else 0,
                            format_func=lambda m: f"{m} ({cards[m].name}, {roles.get(m, cards[m].role)})",
                            key="drift_model")
    return str(model_id)


def render_windows(store: Store, model_id: str, span: Window) -> tuple[Window | None, Window, DeltaGenerator | None]:
    """The reference (the registered reference data, or dates of the logs) and the current dates;
    stops with a message when they are incomplete or inconsistent. Returns both windows (None for
    the registered reference data) and the slot for the reference's caption."""
    first_day, last_day = span
    date_max = last_day + dt.timedelta(days=366)
    has_reference = store.read_reference(model_id) is not None
    options = (["Reference data registered with the model"] if has_reference else []) + ["Dates from the logs"]
    left, right = st.columns(2)
    reference_caption = None
    with left:
        mode = st.radio("Reference", options, horizontal=True, key="drift_ref_mode",
                        help="The reference data given to `dashboard register-model --reference` (labelled as the "
                             "training window only when its own dates lie inside the card's training window), or "
                             "any period of the logs.")
        if mode == options[0] and has_reference:
            reference = None
            reference_caption = st.empty()  # filled with what the reference is, once the report says
        else:
            if not has_reference:
                st.caption("This model was registered without reference data: pick a reference period of the logs.")
            default_ref_end = min(last_day, first_day + dt.timedelta(days=DEFAULT_REFERENCE_DAYS - 1))
            picked_ref = st.date_input("Reference dates", (first_day, default_ref_end), key="drift_ref_dates",
                                       min_value=DATE_MIN, max_value=date_max, format="YYYY-MM-DD")
            reference = tuple(picked_ref) if isinstance(picked_ref, (tuple, list)) else (picked_ref,)
    with right:
        picked_cur = st.date_input(
            "Current dates", (max(first_day, last_day - dt.timedelta(days=DEFAULT_CURRENT_DAYS - 1)), last_day),
            key="drift_cur_dates", min_value=DATE_MIN, max_value=date_max, format="YYYY-MM-DD",
            help=f"Logs of {model_id} cover {first_day} to {last_day}.")
        current = tuple(picked_cur) if isinstance(picked_cur, (tuple, list)) else (picked_cur,)

    if len(current) != 2 or (reference is not None and len(reference) != 2):
        st.info("Pick both a start and an end date for each window.")
        st.stop()
    cur_window = (current[0], current[1])
    ref_window = None if reference is None else (reference[0], reference[1])
    problems = validate_windows(ref_window, cur_window)
    if problems:
        for problem in problems:
            st.warning(problem[0].upper() + problem[1:] + ".")
        st.stop()
    return ref_window, cur_window, reference_caption


def check_windows_hold_rows(report: DriftReport, model_id: str, span: Window, ref_window: Window | None,
                            cur_window: Window) -> None:
    """Stop with a message when either window holds no predictions of the model."""
    first_day, last_day = span
    feats = report.features
    if report.score["n_cur"] == 0 and (feats.empty or feats["n_cur"].sum() == 0):
        st.info(f"The current window {cur_window[0]} to {cur_window[1]} holds no predictions of {model_id}; "
                f"its logs cover {first_day} to {last_day}.")
        st.stop()
    if report.score["n_ref"] == 0 and (feats.empty or feats["n_ref"].sum() == 0):
        where = (f"The reference window {ref_window[0]} to {ref_window[1]} holds no predictions of {model_id}; "
                 f"its logs cover {first_day} to {last_day}.") if ref_window else "The reference data is empty."
        st.info(where)
        st.stop()


def render_verdict(report: DriftReport) -> None:
    rec = report.recommendation
    box = {"retrain": st.error, "watch": st.warning}.get(rec.action, st.success)
    lines = [f"**{rec.headline}**", "",
             f"Verdict: **{rec.verdict}** (reference: {report.reference_label}; current: {report.current_label})."]
    for reason in rec.reasons:
        extra = (f" Features: {', '.join(reason.features)}." if reason.features else "") + \
                (f" Since {reason.since}." if reason.since else "")
        lines.append(f"- *{reason.rule}*: {reason.detail}.{extra}")
    box("\n".join(lines), icon=":material/model_training:")


def render_headline(report: DriftReport) -> None:
    """Four tiles: features shifted, score PSI, realized against expected bad rate, AUC on matured labels."""
    feats, score, concept = report.features, report.score, report.concept
    n_shift = int((feats["status"] == SHIFTED).sum()) if not feats.empty else 0
    n_watch = int((feats["status"] == WATCH).sum()) if not feats.empty else 0
    cur = concept["current"]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Features shifted / to watch", f"{n_shift} / {n_watch}",
              help=f"PSI above {RULES.psi_shift:g} (shifted) or between {RULES.psi_watch:g} and "
                   f"{RULES.psi_shift:g} (watch), or a missing share that moved by more than "
                   f"{RULES.missing_shift * 100:g} ({RULES.missing_watch * 100:g}) points.")
    m2.metric("Score PSI", "n/a" if score["psi"] is None else f"{score['psi']:.3f}",
              help="PSI of the score distribution on reference deciles: prediction drift.")
    m3.metric("Realized / expected bad rate", f"{fmt_pct(cur['observed_rate'])} / {fmt_pct(cur['expected_rate'])}",
              help="Matured labels of the current window only (approved loans whose outcome arrived); the expected "
                   "rate is the mean score of the same loans.")
    m4.metric("AUC on matured labels", "n/a" if cur["auc"] is None else f"{cur['auc']:.3f}",
              None if cur["auc"] is None or concept["baseline_auc"] is None
              else f"{cur['auc'] - concept['baseline_auc']:+.3f} vs baseline",
              help="Baseline: the reference's labelled rows (for the reference data registered with the model: "
                   "rows scored below the cutoff, like the approved population the logs label).")
    for message in report.messages:
        st.info(message)


def render_tabs(path: str, version: str, card: ModelCard, report: DriftReport, ref_window: Window | None,
                cur_window: Window) -> None:
    # Only the open tab's figures are computed and drawn (switching tabs reruns the page): the first
    # view then shows the table at once, without waiting for charts hidden behind other tabs.
    tabs = st.tabs(TABS, key="drift_tab", on_change="rerun")
    with tabs[0]:
        render_features_tab(report.features)
    with tabs[1]:
        if tabs[1].open is not False:
            render_heatmap_tab(path, version, card.id, report, ref_window)
    with tabs[2]:
        render_drilldown_tab(path, version, card, report, (ref_window, cur_window), tabs[2].open is not False)
    with tabs[3]:
        render_prediction_tab(path, version, card.id, report, (ref_window, cur_window), tabs[3].open is not False)
    with tabs[4]:
        render_concept_tab(report, tabs[4].open is not False)
    with tabs[5]:
        render_evidently(path, version, card.id, ref_window, cur_window)


# How each statistic is shown; a statistic that does not apply to a feature (KS for a category,
# chi-square for a number) or cannot be computed reads "n/a", never "None".
FEATURE_FORMATS: dict[str, tuple[str, str]] = {
    "psi": ("PSI", "{:.3f}"), "js": ("JS distance", "{:.3f}"), "ks": ("KS", "{:.3f}"), "ks_pvalue": ("KS p", "{:.2g}"),
    "wasserstein": ("Wasserstein", "{:.4g}"), "wasserstein_norm": ("Wasserstein / ref std", "{:.3f}"),
    "chi2": ("chi-square", "{:.1f}"), "chi2_pvalue": ("chi-square p", "{:.2g}"),
    "missing_ref": ("missing ref", "{:.1%}"), "missing_cur": ("missing cur", "{:.1%}"),
    "missing_change": ("missing change", "{:+.1%}"), "importance": ("mean |SHAP| share", "{:.1%}"),
    "impact": ("drift impact", "{:.4f}"), "n_ref": ("rows ref", "{:,.0f}"), "n_cur": ("rows cur", "{:,.0f}"),
}


def format_feature_table(feats: pd.DataFrame) -> pd.DataFrame:
    """The features table as text, in the report's order: "n/a" where a statistic is missing."""
    out = pd.DataFrame({"feature": feats["feature"], "type": feats["type"], "status": feats["status"]})
    for column, (label, fmt) in FEATURE_FORMATS.items():
        if column in feats:
            out[label] = [fmt.format(v) if v is not None and pd.notna(v) else "n/a" for v in feats[column]]
    out["note"] = feats["note"].fillna("").astype(str) if "note" in feats else ""
    return out.reset_index(drop=True)


def render_features_tab(feats: pd.DataFrame) -> None:
    st.caption("Sorted by drift impact: drift (PSI, or the missing-share change when larger) x the feature's share "
               f"of mean |SHAP| on the reference data. PSI on 10 reference deciles (credit convention: "
               f"< {RULES.psi_watch:g} stable, {RULES.psi_watch:g}-{RULES.psi_shift:g} watch, > {RULES.psi_shift:g} "
               f"shifted); JS and KS on the {FEATURE_BINS} reference-quantile bins of non-missing values; "
               "Wasserstein from those bins cut finer where they are wide and beyond the reference's outer edges, "
               "with where the rows sit inside each (within 5% of the distance on the raw rows, heavy tails "
               "included); chi-square for categorical features. With tens of thousands of rows tiny differences "
               "are significant: read p-values with the effect sizes.")
    st.dataframe(format_feature_table(feats), hide_index=True, width="stretch")


def render_heatmap_tab(path: str, version: str, model_id: str, report: DriftReport,
                       ref_window: Window | None) -> None:
    heat = load_psi_heatmap_cached(path, version, model_id, ref_window)
    if heat.empty:
        st.info("No weekly feature histograms to compare with the reference.")
        return
    render_figure(plotly_psi_heatmap(heat, list(report.features["feature"]),
                                     f"PSI per week against the reference ({report.reference_label})"))
    st.caption(f"Green below {RULES.psi_watch:g}, amber {RULES.psi_watch:g} to {RULES.psi_shift:g}, red above "
               f"{RULES.psi_shift:g}. Weeks with few rows are noisier (PSI of two samples of n rows from the same "
               "population is about 9/n).")


def render_drilldown_tab(path: str, version: str, card: ModelCard, report: DriftReport,
                         windows: tuple[Window | None, Window], chart: bool) -> None:
    """One feature's reference and current distributions; `chart=False` (tab closed) draws only the picker."""
    feats = report.features
    options_f = list(feats["feature"]) if not feats.empty else card.feature_names
    feature = st.selectbox("Feature", options_f, key="drift_feature")
    if not chart:
        return
    overlay = load_feature_overlay_cached(path, version, card.id, feature, windows[0], windows[1])
    if overlay is None or overlay.empty:
        st.info(f"No reference bins for {feature}: it was not in the model's reference data.")
        return
    row = feats[feats["feature"] == feature].iloc[0] if feature in set(feats["feature"]) else None
    render_figure(plotly_feature_overlay(overlay, feature, report.reference_label, report.current_label))
    if row is not None:
        psi_text = "n/a" if pd.isna(row["psi"]) else f"{row['psi']:.3f}"
        st.caption(f"{feature}: PSI {psi_text} ({row['status']}); missing {fmt_pct(row['missing_ref'])} "
                   f"-> {fmt_pct(row['missing_cur'])}. {card.feature(feature).description}"
                   + (f" Note: {row['note']}." if row["note"] else ""))


def render_prediction_tab(path: str, version: str, model_id: str, report: DriftReport,
                          windows: tuple[Window | None, Window], chart: bool) -> None:
    score: dict[str, Any] = report.score
    p1, p2, p3 = st.columns(3)
    p1.metric("Mean score", fmt_pct(score["mean_cur"]),
              None if score["mean_ref"] is None else f"{(score['mean_cur'] - score['mean_ref']) * 100:+.1f} pts",
              delta_color="inverse")
    p2.metric(f"Share below the cutoff {score['cutoff']:g}", fmt_pct(score["below_cutoff_cur"]),
              None if score["below_cutoff_ref"] is None
              else f"{(score['below_cutoff_cur'] - score['below_cutoff_ref']) * 100:+.1f} pts")
    p3.metric("Scores in the current window", fmt_int(score["n_cur"]))
    if not chart:
        return
    ref_dist, cur_dist, trend = load_prediction_drift_cached(path, version, model_id, windows[0], windows[1])
    if score["n_ref"]:
        render_figure(plotly_score_overlay(ref_dist, cur_dist, score["cutoff"]))
    else:
        st.info("The reference has no score distribution (no stored model artifact to score the reference "
                "data).")
    if not trend.empty:
        render_figure(plotly_approval_trend(trend, score["cutoff"]))
        if trend["approval_rate"].isna().all():
            st.caption(f"{model_id} runs in shadow: it takes no decisions, so only the share of its scores "
                       "below the cutoff is shown.")


def render_concept_tab(report: DriftReport, chart: bool) -> None:
    concept, rec = report.concept, report.recommendation
    st.caption("Concept drift is judged on matured labels only (approved loans whose outcome arrived 3 to 12 "
               "months later). The score is a probability of the bad outcome, so the bads expected among labelled "
               "loans are the sum of their scores; calibration holds on the approved population too, and does "
               "not move when only the inputs shift. Observed/expected off the reference by more than "
               f"{RULES.calibration_tolerance:.0%} and {RULES.calibration_z:g} standard errors means the relation "
               "changed.")
    series = concept["series"]
    if series.empty or not series["judged"].any():
        st.info(f"No month has enough matured labels yet to judge calibration ({RULES.min_labelled} per month).")
    elif chart:
        render_figure(plotly_calibration_trend(series, concept["baseline_ratio"]))
    if concept["current"]["labelled"] and chart:
        render_figure(plotly_calibration_bands(report.calibration))
    verdict = {"both": "Both changed: the inputs shifted and the score-to-outcome relation changed.",
               "inputs changed": "The inputs changed; the relation between scores and outcomes holds.",
               "relation changed": "The relation between scores and outcomes changed; the inputs did not shift.",
               "no material change": "Neither the inputs nor the relation changed materially."}[rec.verdict]
    st.markdown(f"**{verdict}**")
