"""Drift: is the model still looking at the world it was trained on, and does that world still behave the same?"""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.ui import data
from dashboard.ui.drift import (
    SHIFTED,
    WATCH,
    load_drift_report_cached,
    load_feature_overlay_cached,
    load_log_span_cached,
    load_prediction_drift_cached,
    load_psi_heatmap_cached,
    render_evidently,
    validate_windows,
)
from dashboard.ui.drift_charts import (
    plotly_approval_trend,
    plotly_calibration_bands,
    plotly_calibration_trend,
    plotly_feature_overlay,
    plotly_psi_heatmap,
    plotly_score_overlay,
)
from dashboard.ui.format import fmt_int, fmt_pct

st.title("Drift")
store = data.get_store()
path, version = str(store.root), store.version()
cards = store.list_cards()
if not cards:
    st.info("No model is registered in this store yet. Build the demo store with `dashboard demo`, or register "
            "a model and ingest its logs: see the README.")
    st.stop()

roles = data.load_roles_cached(path, version)
ids = sorted(cards, key=lambda m: (roles.get(m) != "champion", m))
asked = st.query_params.get("model")
model_id = st.selectbox("Model", ids, index=ids.index(asked) if asked in ids else 0,
                        format_func=lambda m: f"{m} ({cards[m].name}, {roles.get(m, cards[m].role)})",
                        key="drift_model")
card = cards[model_id]
span = load_log_span_cached(path, version, model_id)
if span is None:
    st.info(f"Model **{model_id}** has no prediction logs yet, so there is nothing to compare. Ingest its logs with "
            "`dashboard ingest predictions FILE`.")
    st.stop()
first_day, last_day = span
DATE_MIN, DATE_MAX = dt.date(2000, 1, 1), last_day + dt.timedelta(days=366)

has_reference = store.read_reference(model_id) is not None
options = (["Reference data registered with the model"] if has_reference else []) + ["Dates from the logs"]
left, right = st.columns(2)
reference_caption = None
with left:
    mode = st.radio("Reference", options, horizontal=True, key="drift_ref_mode",
                    help="The reference data given to `dashboard register-model --reference` (labelled as the "
                         "training window only when its own dates lie inside the card's training window), or any "
                         "period of the logs.")
    if mode == options[0] and has_reference:
        reference = None
        reference_caption = st.empty()  # filled with what the reference is, once the report says
    else:
        if not has_reference:
            st.caption("This model was registered without reference data: pick a reference period of the logs.")
        default_ref_end = min(last_day, first_day + dt.timedelta(days=89))
        picked_ref = st.date_input("Reference dates", (first_day, default_ref_end), key="drift_ref_dates",
                                   min_value=DATE_MIN, max_value=DATE_MAX, format="YYYY-MM-DD")
        reference = tuple(picked_ref) if isinstance(picked_ref, (tuple, list)) else (picked_ref,)
with right:
    picked_cur = st.date_input("Current dates", (max(first_day, last_day - dt.timedelta(days=29)), last_day),
                               key="drift_cur_dates", min_value=DATE_MIN, max_value=DATE_MAX, format="YYYY-MM-DD",
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

report = load_drift_report_cached(path, version, model_id, ref_window, cur_window)
feats = report.features
if reference_caption is not None:
    reference_caption.caption(report.reference_label[0].upper() + report.reference_label[1:] + ".")
if report.score["n_cur"] == 0 and (feats.empty or feats["n_cur"].sum() == 0):
    st.info(f"The current window {cur_window[0]} to {cur_window[1]} holds no predictions of {model_id}; "
            f"its logs cover {first_day} to {last_day}.")
    st.stop()
if report.score["n_ref"] == 0 and (feats.empty or feats["n_ref"].sum() == 0):
    where = (f"The reference window {ref_window[0]} to {ref_window[1]} holds no predictions of {model_id}; "
             f"its logs cover {first_day} to {last_day}.") if ref_window else "The reference data is empty."
    st.info(where)
    st.stop()

# ---------------------------------------------------------------- the verdict
rec = report.recommendation
box = {"retrain": st.error, "watch": st.warning}.get(rec.action, st.success)
lines = [f"**{rec.headline}**", "",
         f"Verdict: **{rec.verdict}** (reference: {report.reference_label}; current: {report.current_label})."]
for reason in rec.reasons:
    extra = (f" Features: {', '.join(reason.features)}." if reason.features else "") + \
            (f" Since {reason.since}." if reason.since else "")
    lines.append(f"- *{reason.rule}*: {reason.detail}.{extra}")
box("\n".join(lines), icon=":material/model_training:")

n_shift = int((feats["status"] == SHIFTED).sum()) if not feats.empty else 0
n_watch = int((feats["status"] == WATCH).sum()) if not feats.empty else 0
score = report.score
concept = report.concept
cur = concept["current"]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Features shifted / to watch", f"{n_shift} / {n_watch}",
          help="PSI above 0.25 (shifted) or between 0.1 and 0.25 (watch), or a missing share that moved by more "
               "than 5 (2) points.")
m2.metric("Score PSI", "n/a" if score["psi"] is None else f"{score['psi']:.3f}",
          help="PSI of the score distribution on reference deciles: prediction drift.")
m3.metric("Realized / expected bad rate", f"{fmt_pct(cur['observed_rate'])} / {fmt_pct(cur['expected_rate'])}",
          help="Matured labels of the current window only (approved loans whose outcome arrived); the expected "
               "rate is the mean score of the same loans.")
m4.metric("AUC on matured labels", "n/a" if cur["auc"] is None else f"{cur['auc']:.3f}",
          None if cur["auc"] is None or concept["baseline_auc"] is None
          else f"{cur['auc'] - concept['baseline_auc']:+.3f} vs baseline",
          help="Baseline: the reference's labelled rows (for the reference data registered with the model: rows "
               "scored below the cutoff, like the approved population the logs label).")
for message in report.messages:
    st.info(message)

# Only the open tab's figures are computed and drawn (switching tabs reruns the page): the first
# view then shows the table at once, without waiting for charts hidden behind other tabs.
tabs = st.tabs(["Features", "PSI heatmap", "Drill-down", "Prediction drift", "Concept drift", "Evidently report"],
               key="drift_tab", on_change="rerun")

with tabs[0]:
    st.caption("Sorted by drift impact: drift (PSI, or the missing-share change when larger) x the feature's share "
               "of mean |SHAP| on the reference data. PSI on 10 reference deciles (credit convention: < 0.1 "
               "stable, 0.1-0.25 watch, > 0.25 shifted); JS and KS on the 100 reference-quantile bins of "
               "non-missing values; Wasserstein from those bins cut finer where they are wide and beyond the "
               "reference's outer edges, with where the rows sit inside each (within 5% of the distance on the raw "
               "rows, heavy tails included); chi-square for categorical features. With tens of thousands of rows tiny differences "
               "are significant: read p-values with the effect sizes.")
    shown = feats[["feature", "type", "status", "psi", "js", "ks", "ks_pvalue", "wasserstein", "wasserstein_norm",
                   "chi2", "chi2_pvalue", "missing_ref", "missing_cur", "missing_change", "importance", "impact",
                   "n_ref", "n_cur", "note"]]
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "psi": st.column_config.NumberColumn("PSI", format="%.3f"),
        "js": st.column_config.NumberColumn("JS distance", format="%.3f"),
        "ks": st.column_config.NumberColumn("KS", format="%.3f"),
        "ks_pvalue": st.column_config.NumberColumn("KS p", format="%.2g"),
        "wasserstein": st.column_config.NumberColumn("Wasserstein", format="%.4g"),
        "wasserstein_norm": st.column_config.NumberColumn("Wasserstein / ref std", format="%.3f"),
        "chi2": st.column_config.NumberColumn("chi-square", format="%.1f"),
        "chi2_pvalue": st.column_config.NumberColumn("chi-square p", format="%.2g"),
        "missing_ref": st.column_config.NumberColumn("missing ref", format="percent"),
        "missing_cur": st.column_config.NumberColumn("missing cur", format="percent"),
        "missing_change": st.column_config.NumberColumn("missing change", format="percent"),
        "importance": st.column_config.NumberColumn("mean |SHAP| share", format="percent"),
        "impact": st.column_config.NumberColumn("drift impact", format="%.4f"),
    })

with tabs[1]:
    heat = load_psi_heatmap_cached(path, version, model_id, ref_window) if tabs[1].open is not False else None
    if heat is not None and heat.empty:
        st.info("No weekly feature histograms to compare with the reference.")
    elif heat is not None:
        st.plotly_chart(plotly_psi_heatmap(heat, list(feats["feature"]),
                                           f"PSI per week against the reference ({report.reference_label})"),
                        width="stretch")
        st.caption("Green below 0.1, amber 0.1 to 0.25, red above 0.25. Weeks with few rows are noisier "
                   "(PSI of two samples of n rows from the same population is about 9/n).")

with tabs[2]:
    options_f = list(feats["feature"]) if not feats.empty else card.feature_names
    feature = st.selectbox("Feature", options_f, key="drift_feature")
    if tabs[2].open is not False:
        overlay = load_feature_overlay_cached(path, version, model_id, feature, ref_window, cur_window)
        if overlay is None or overlay.empty:
            st.info(f"No reference bins for {feature}: it was not in the model's reference data.")
        else:
            row = feats[feats["feature"] == feature].iloc[0] if feature in set(feats["feature"]) else None
            st.plotly_chart(plotly_feature_overlay(overlay, feature, report.reference_label, report.current_label),
                            width="stretch")
            if row is not None:
                psi_text = "n/a" if pd.isna(row["psi"]) else f"{row['psi']:.3f}"
                st.caption(f"{feature}: PSI {psi_text} ({row['status']}); missing {fmt_pct(row['missing_ref'])} "
                           f"-> {fmt_pct(row['missing_cur'])}. {card.feature(feature).description}"
                           + (f" Note: {row['note']}." if row["note"] else ""))

with tabs[3]:
    p1, p2, p3 = st.columns(3)
    p1.metric("Mean score", fmt_pct(score["mean_cur"]),
              None if score["mean_ref"] is None else f"{(score['mean_cur'] - score['mean_ref']) * 100:+.1f} pts",
              delta_color="inverse")
    p2.metric(f"Share below the cutoff {score['cutoff']:g}", fmt_pct(score["below_cutoff_cur"]),
              None if score["below_cutoff_ref"] is None
              else f"{(score['below_cutoff_cur'] - score['below_cutoff_ref']) * 100:+.1f} pts")
    p3.metric("Scores in the current window", fmt_int(score["n_cur"]))
    if tabs[3].open is not False:
        ref_dist, cur_dist, trend = load_prediction_drift_cached(path, version, model_id, ref_window, cur_window)
        if score["n_ref"]:
            st.plotly_chart(plotly_score_overlay(ref_dist, cur_dist, score["cutoff"]), width="stretch")
        else:
            st.info("The reference has no score distribution (no stored model artifact to score the reference "
                    "data).")
        if not trend.empty:
            st.plotly_chart(plotly_approval_trend(trend, score["cutoff"]), width="stretch")
            if trend["approval_rate"].isna().all():
                st.caption(f"{model_id} runs in shadow: it takes no decisions, so only the share of its scores "
                           "below the cutoff is shown.")

with tabs[4]:
    st.caption("Concept drift is judged on matured labels only (approved loans whose outcome arrived 3 to 12 "
               "months later). The score is a probability of the bad outcome, so the bads expected among labelled "
               "loans are the sum of their scores; calibration holds on the approved population too, and does "
               "not move when only the inputs shift. Observed/expected off the reference by more than 15% and "
               "3 standard errors means the relation changed.")
    series = concept["series"]
    if series.empty or not series["judged"].any():
        st.info("No month has enough matured labels yet to judge calibration (200 per month).")
    elif tabs[4].open is not False:
        st.plotly_chart(plotly_calibration_trend(series, concept["baseline_ratio"]), width="stretch")
    if cur["labelled"] and tabs[4].open is not False:
        st.plotly_chart(plotly_calibration_bands(report.calibration), width="stretch")
    verdict = {"both": "Both changed: the inputs shifted and the score-to-outcome relation changed.",
               "inputs changed": "The inputs changed; the relation between scores and outcomes holds.",
               "relation changed": "The relation between scores and outcomes changed; the inputs did not shift.",
               "no material change": "Neither the inputs nor the relation changed materially."}[rec.verdict]
    st.markdown(f"**{verdict}**")

with tabs[5]:
    render_evidently(path, version, model_id, ref_window, cur_window)
