"""Cached loaders and render helpers for the Challengers page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.comparison import Comparison
from dashboard.analytics.drift_thresholds import DriftThresholds
from dashboard.analytics.explainability import BASE_ODDS, BASE_POINTS, PDO
from dashboard.analytics.paired_metrics import METRICS
from dashboard.services.challengers import (
    CARD_CUTOFF,
    DEFAULT_MAX_APPLICATIONS,
    RAW_SAMPLE,
    ROLLUP_SAMPLE,
    ComparisonView,
    artifact_signature,
    data_window,
    load_comparison,
    load_model_explainability,
    load_psi_by_month,
)
from dashboard.services.stores import open_store
from dashboard.ui import data
from dashboard.ui.challengers_charts import (
    METRIC_NAMES,
    plotly_curves,
    plotly_difference_intervals,
    plotly_gains,
    plotly_metric_intervals,
    plotly_psi_over_time,
)
from dashboard.ui.figure_view import render_figure
from dashboard.ui.format import fmt_int, fmt_money, fmt_pct

QUERY_TTL = 300
EXPLAIN_TTL = 3600


@st.cache_data(ttl=QUERY_TTL, show_spinner="Joining shadow scores and computing the comparison...")
def load_comparison_cached(store_path: str, version: str, champion: str, challengers: tuple[str, ...],
                           start: dt.date | None, end: dt.date | None, cutoff_rule: str,
                           max_applications: int = DEFAULT_MAX_APPLICATIONS) -> ComparisonView:
    return load_comparison(open_store(store_path), champion, challengers, start, end, cutoff_rule,
                           max_applications)


def find_compared_models(store_path: str, version: str, cards: Iterable[str]) -> tuple[str | None, list[str]]:
    """The champion (None if no model has the role) and the other registered models, sorted."""
    roles = data.load_roles_cached(store_path, version)
    champion = next((m for m, r in sorted(roles.items()) if r == "champion"), None)
    return champion, sorted(m for m in cards if m != champion)


def warm_default_comparison(store_path: str) -> None:
    """Compute the page's first view (every challenger against the champion over the champion's
    whole window, card cutoffs) into the cache the page reads, from the server's warm-up: it is
    the page's costliest step (about 1.3 s on the 10M store) and the same for every session."""
    store = open_store(store_path)
    version = store.version()
    champion, others = find_compared_models(store_path, version, store.list_cards())
    window = data_window(store, champion) if champion is not None and others else None
    if champion is not None and window is not None:
        load_comparison_cached(store_path, version, champion, tuple(others), window[0], window[1], CARD_CUTOFF)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_psi_cached(store_path: str, version: str, models: tuple[str, ...]) -> pd.DataFrame:
    return load_psi_by_month(open_store(store_path), list(models))


@st.cache_data(ttl=EXPLAIN_TTL, show_spinner="Loading the model and measuring its explainability...")
def load_explainability_cached(store_path: str, model_id: str, signature: str) -> dict[str, Any]:
    """Model type, permutation importance, monotonicity and scorecard points, on reference rows.

    Keyed by the artifact's signature, not the store version: new logs do not change it.
    """
    return load_model_explainability(open_store(store_path), model_id)


def explain_summary(info: dict[str, Any]) -> dict[str, Any]:
    """One row of the side-by-side explainability table."""
    imp, mono = info.get("importance"), info.get("monotonicity")
    return {"model_id": info["model_id"], "model_type": info.get("model_type") or info.get("algorithm"),
            "features": int(len(imp)) if imp is not None else None,
            "material_features": int(imp["material"].sum()) if imp is not None else None,
            "monotone_ok": int(mono["consistent"].sum()) if mono is not None else None,
            "monotone_checked": int(len(mono)) if mono is not None else None,
            "scorecard": info.get("scorecard") is not None}


def load_explainability(store_path: str, model_id: str) -> dict[str, Any]:
    return load_explainability_cached(store_path, model_id, artifact_signature(open_store(store_path), model_id))


# ---------------------------------------------------------------------------- rendering
def render_population(view: ComparisonView) -> None:
    c = view.comparison
    st.caption(
        f"Compared on **{fmt_int(c.applications)}** applications scored by every model (challengers in shadow). "
        f"{sample_sentence(view)} Accuracy uses the **{fmt_int(c.labelled)}** whose outcome has matured: these are "
        "applications the champion approved, because declined applicants never get an outcome. "
        "Shadow scores exist for all applications, so approvals, fairness and swap counts use all of them.")
    if view.source == RAW_SAMPLE and view.window_applications:
        st.warning("This store's rollups predate the daily shadow sample, so the comparison was read from the raw "
                   "prediction logs (slow on a large store): rebuild rollups with `dashboard rollup rebuild` for "
                   "the fast sample.")
    for note in c.notes:
        st.info(note)


def sample_sentence(view: ComparisonView) -> str:
    """How the compared applications were drawn from the window, and how well the models pair up."""
    n, total = view.sample_applications, view.window_applications
    pairs = ", ".join(f"{m} scored {fmt_int(k)} of them ({fmt_pct(k / n)})" for m, k in view.overlaps.items()) \
        if n else ""
    paired = f" Paired overlap: {pairs}." if pairs else ""
    if view.source == ROLLUP_SAMPLE and view.sampled:
        return (f"The champion's applications are a sample: **{fmt_int(n)}** of its **{fmt_int(total)}** in the "
                f"window ({fmt_pct(view.fraction)}), each day the {fmt_int(view.per_day)} with the lowest hash of "
                "application_id (all of a smaller day). The same hash ranks every model's applications, so the "
                f"samples hold the same applications (the comparison stays paired) and each day weighs about the "
                f"same.{paired}")
    if view.sampled:
        return (f"The champion's applications are a deterministic sample: **{fmt_int(n)}** of its "
                f"**{fmt_int(total)}** in the window ({fmt_pct(view.fraction)}, by a hash of application_id, the "
                f"same applications for every model).{paired}")
    return f"Every one of the champion's **{fmt_int(n)}** applications in the window is used.{paired}"


def render_metrics(c: Comparison) -> None:
    table = c.metrics.copy()
    if table.empty or table["auc"].isna().all() and table["brier"].isna().all():
        st.info("No accuracy metric can be computed without matured outcomes in this window.")
        return
    shown = pd.DataFrame({"model": table["model_id"], "labelled": table["n"], "bads": table["bads"]})
    for name in ("auc", "ks", "gini", "brier"):
        shown[name.upper() if name != "brier" else "Brier"] = [
            "n/a" if pd.isna(v) else f"{v:.4f} ({lo:.4f} to {hi:.4f})" if pd.notna(lo) else f"{v:.4f}"
            for v, lo, hi in zip(table[name], table[f"{name}_lo"], table[f"{name}_hi"], strict=True)]
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption("Point values are scikit-learn's on the matured rows; each model's 95% interval comes from 400 "
               "bootstrap resamples of those rows. Whether a challenger differs from the champion is read from "
               "the paired differences below, not from whether these intervals overlap.")
    left, right = st.columns(2)
    render_figure(plotly_metric_intervals(table, "auc"), left)
    render_figure(plotly_metric_intervals(table, "brier"), right)
    render_differences(c)
    if c.curves["roc"].empty:
        return
    a, b, d = st.columns(3)
    render_figure(plotly_curves(c.curves["roc"], "roc"), a, width=420)
    render_figure(plotly_curves(c.curves["pr"], "pr"), b, width=420)
    render_figure(plotly_curves(c.curves["calibration"], "calibration"), d, width=420)
    left, right = st.columns([3, 2])
    render_figure(plotly_gains(c.gains), left)
    pivot = c.gains.pivot(index="decile", columns="model_id", values="cum_bads_captured")[c.models]
    right.caption("Cumulative share of bads captured, riskiest decile first")
    right.dataframe(pivot, width="stretch",
                    column_config={m: st.column_config.NumberColumn(format="percent") for m in c.models})


def difference_table(c: Comparison) -> pd.DataFrame:
    """One row per challenger and metric: challenger minus champion, its paired 95% interval, the verdict."""
    rows = []
    table = c.metrics.set_index("model_id")
    for m in c.models[1:]:
        for name in METRICS:
            d, lo, hi = (table.at[m, f"{name}_diff{k}"] for k in ("", "_lo", "_hi"))
            rows.append({"challenger": m, "metric": METRIC_NAMES[name],
                         "champion": "n/a" if pd.isna(table.at[c.champion, name]) else
                         f"{table.at[c.champion, name]:.4f}",
                         "challenger value": "n/a" if pd.isna(table.at[m, name]) else f"{table.at[m, name]:.4f}",
                         "difference": "n/a" if pd.isna(d) else f"{d:+.4f}",
                         "95% interval": "n/a" if pd.isna(lo) else f"{lo:+.4f} to {hi:+.4f}",
                         "verdict": "n/a" if pd.isna(table.at[m, f"{name}_verdict"]) else
                         str(table.at[m, f"{name}_verdict"])})
    return pd.DataFrame(rows, columns=["challenger", "metric", "champion", "challenger value", "difference",
                                       "95% interval", "verdict"])


def render_differences(c: Comparison) -> None:
    if len(c.models) < 2:
        return
    st.markdown(f"**Each challenger minus the champion {c.champion}, on the same applications**")
    st.dataframe(difference_table(c), hide_index=True, width="stretch")
    st.caption("Both models scored the same applications, so the comparison is paired: the interval is that of "
               "the difference itself, far narrower than two separate intervals when the models rank applicants "
               "alike. AUC by DeLong's test (Gini is 2 x AUC - 1, so its interval is twice the AUC's), Brier by "
               "the paired t interval of the per-application differences, KS by a paired bootstrap (400 resamples "
               "of the applications, the same resample for both models). When the interval covers 0 there is no "
               "evidence of a difference; otherwise the verdict names the better model (higher AUC, KS and "
               "Gini, lower Brier).")
    left, right = st.columns(2)
    render_figure(plotly_difference_intervals(c.metrics, "auc", c.champion), left)
    render_figure(plotly_difference_intervals(c.metrics, "brier", c.champion), right)


def render_money_and_fairness(c: Comparison, a: BusinessAssumptions) -> None:
    money_col = f"profit ({a.currency})"
    st.markdown("**Profit at each model's own best cutoff** (realized, matured loans)")
    best = c.best_cutoffs.copy()
    if best.empty or best["profit"].isna().all():
        st.info("Profit needs matured outcomes; none in this window.")
    else:
        st.dataframe(best.rename(columns={"model_id": "model", "best_cutoff": "best cutoff",
                                          "approval_share": "share approved", "profit": money_col}),
                     hide_index=True, width="stretch",
                     column_config={"share approved": st.column_config.NumberColumn(format="percent"),
                                    money_col: st.column_config.NumberColumn(format="accounting")})
        st.caption("The money model of every page: interest over the term for a good loan (its amount, else the "
                   "average amount), the recorded loss (else amount x loss given default) for a bad one; "
                   "assumptions in force (business.toml and the changes made on Thresholds). Only "
                   "champion-approved loans have outcomes, so a cutoff above the champion's cannot show the bads "
                   "it would let in: read the best cutoffs as a lower bound on how strict each model should be.")
    st.markdown("**Fairness: adverse impact ratio at each model's cutoff**")
    rules = ", ".join(f"{m} below {v:.3f}" for m, v in c.cutoffs.items())
    st.caption(f"Approve {rules}. Approval rates: " +
               ", ".join(f"{m} {fmt_pct(r)}" for m, r in c.approval_rates.items()) +
               ". The ratio is each group's approval rate over the most-approved group's, among groups with at "
               f"least {a.min_group_size} applications in the sample (numeric attributes in bands); below 0.8 "
               "fails the four-fifths rule. Protected attributes come from the model cards and are never model "
               "inputs.")
    if c.fairness.empty:
        st.info("No protected attribute from the model cards is present in the logs.")
    else:
        st.dataframe(c.fairness.rename(columns={"model_id": "model", "lowest_air": "lowest ratio",
                                                "group": "least-approved group"}),
                     hide_index=True, width="stretch",
                     column_config={"lowest ratio": st.column_config.NumberColumn(format="%.2f"),
                                    "left_out": st.column_config.TextColumn("groups left out (too small)")})


def render_swap_set(c: Comparison, challenger: str, a: BusinessAssumptions) -> None:
    swap = c.swaps.get(challenger)
    if swap is None:
        st.info(f"{challenger} has no shadow scores to compare with the champion here.")
        return
    st.caption(f"The champion **{c.champion}** approves below {c.cutoffs[c.champion]:.3f} (its policy in force); "
               f"**{challenger}** approves below {c.cutoffs[challenger]:.3f}.")
    summary = swap.summary.copy()
    summary["kind"] = summary["kind"].str.replace("challenger", challenger).str.replace("champion", c.champion)
    st.dataframe(summary, hide_index=True, width="stretch",
                 column_config={"bad_rate": st.column_config.NumberColumn("bad rate", format="percent"),
                                "realized_money": st.column_config.NumberColumn(f"realized money ({a.currency})",
                                                                                format="accounting"),
                                "expected_money": st.column_config.NumberColumn(
                                    f"expected money ({a.currency}, estimate)", format="accounting")})
    left, middle, right = st.columns(3)
    left.metric(f"Swap-outs: only {c.champion} approves", fmt_int(int(summary.iloc[2]["applications"])),
             help="Booked loans the challenger would have declined; their outcomes are realized where matured.")
    middle.metric(f"Swap-ins: only {challenger} approves", fmt_int(int(summary.iloc[3]["applications"])),
             help="Applications the champion declined: no outcome exists, so their money is estimated from the "
                  "challenger's score.")
    right.metric(f"Money difference ({challenger} minus {c.champion})", fmt_money(swap.money_difference, a.currency),
             help=f"Estimated money of swap-ins ({fmt_money(swap.estimated_part, a.currency)}) minus the realized "
                  f"money of matured swap-outs ({fmt_money(swap.realized_part, a.currency)}). Swap-outs not yet "
                  "matured are left out.")
    if not swap.rows.empty:
        with st.expander(f"The swapped applications (first {len(swap.rows):,})"):
            st.dataframe(swap.rows, hide_index=True, width="stretch")


def render_explainability(infos: list[dict[str, Any]], tradeoff: pd.DataFrame, sentences: list[str]) -> None:
    st.dataframe(tradeoff.rename(columns={"model_id": "model", "model_type": "model type",
                                          "material_features": "material features",
                                          "monotone_ok": "directions respected",
                                          "monotone_checked": "directions checked",
                                          "scorecard": "readable points"}),
                 hide_index=True, width="stretch",
                 column_config={"auc": st.column_config.NumberColumn("AUC", format="%.4f"),
                                "auc_lo": st.column_config.NumberColumn("AUC low", format="%.4f"),
                                "auc_hi": st.column_config.NumberColumn("AUC high", format="%.4f"),
                                "auc_diff": st.column_config.NumberColumn("AUC minus champion", format="%+.4f"),
                                "auc_diff_lo": st.column_config.NumberColumn("difference low", format="%+.4f"),
                                "auc_diff_hi": st.column_config.NumberColumn("difference high", format="%+.4f"),
                                "auc_verdict": st.column_config.TextColumn("paired verdict")})
    st.caption("Material importance: a feature whose permutation importance (drop in AUC on reference rows) is at "
               "least 5% of the model's total. Directions: the average score along each numeric feature's range "
               "(a partial dependence curve) against the direction in the card.")
    for line in sentences:
        st.markdown(f"- {line}")
    for info in infos:
        with st.expander(f"{info['model_id']}: {info.get('model_type') or info['algorithm']}"):
            if info.get("message"):
                st.info(info["message"])
            cols = st.columns(2)
            if info.get("importance") is not None:
                cols[0].caption("Permutation importance")
                cols[0].dataframe(info["importance"], hide_index=True, width="stretch",
                                  column_config={"share": st.column_config.NumberColumn(format="percent")})
            if info.get("monotonicity") is not None:
                cols[1].caption("Monotonicity against the card")
                cols[1].dataframe(info["monotonicity"], hide_index=True, width="stretch")
            if info.get("scorecard") is not None:
                st.caption(f"Scorecard points ({BASE_POINTS:g} at {BASE_ODDS:g}:1 good:bad odds, {PDO:g} points to "
                           "double the odds; more points, less risk). Each value's points are relative to a typical applicant.")
                st.dataframe(info["scorecard"], hide_index=True, width="stretch")


def render_stability(psi: pd.DataFrame) -> None:
    if psi.empty:
        st.info("No score histograms in the rollups yet.")
        return
    render_figure(plotly_psi_over_time(psi))
    latest = psi.sort_values("month").groupby("model_id").tail(1)
    st.caption("PSI of each month's score distribution against the model's first month with logs, on that "
               f"month's deciles; below {DriftThresholds().psi_watch} stable, up to {DriftThresholds().psi_shift} "
               "watch, above it shifted (the Drift page's bands). Latest: " +
               ", ".join(f"{r.model_id} {r.psi:.3f}" if pd.notna(r.psi) else f"{r.model_id} n/a"
                         for r in latest.itertuples()))


def render_history(history: list[dict[str, Any]]) -> None:
    if not history:
        st.caption("No promotion yet: the champion is the one named in the model cards.")
        return
    frame = pd.DataFrame([{"when (UTC)": e.get("at", "")[:19].replace("T", " "), "promoted": e.get("model_id"),
                           "previous champion": e.get("previous_champion"), "by": e.get("actor"),
                           "rationale": e.get("rationale")} for e in history])
    st.dataframe(frame, hide_index=True, width="stretch")

