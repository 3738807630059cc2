"""The Decisions page's cached loaders and render helpers (credit officer)."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.analytics.access import mask_personal
from dashboard.analytics.policy import Policy
from dashboard.explain.explainer import GroupedExplainer
from dashboard.explain.links import LINK_LABELS, to_score
from dashboard.explain.reasons import compute_reasons, compute_value_text, is_missing
from dashboard.explain.whatif import Counterfactual, validate_whatif
from dashboard.services.decisions import (
    SORTS,
    QueueFilter,
    application_rows,
    decision_models,
    decision_queue,
    load_approved_sample,
    load_counterfactual,
    load_model_explainer,
    model_revision,
)
from dashboard.services.overrides import (
    OVERRIDE_TARGETS,
    OverrideError,
    latest_overrides,
    override_history,
    record_override,
)
from dashboard.services.policy import policy_in_force
from dashboard.ui.auth import audit_application_view
from dashboard.ui.data import QUERY_TTL, store_at
from dashboard.ui.decisions_charts import plotly_attribution_change, plotly_waterfall
from dashboard.ui.figure_view import render_figure
from dashboard.ui.format import escape_markdown
from dashboard.ui.session import current_role, current_user

if TYPE_CHECKING:
    from dashboard.store import Store

PAGE_SIZE = 25
# ---------------------------------------------------------------------- cached loaders


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_models_cached(store_path: str, version: str) -> pd.DataFrame:
    return decision_models(store_at(store_path))


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_queue_cached(store_path: str, version: str, model_id: str, start: dt.date, end: dt.date,
                      decisions: tuple[str, ...], score_min: float, score_max: float, search: str,
                      sort: str, page: int) -> tuple[pd.DataFrame, int]:
    flt = QueueFilter(model_id, start, end, decisions, score_min, score_max, search, sort)
    return decision_queue(store_at(store_path), flt, page, PAGE_SIZE)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_application_cached(store_path: str, version: str, application_id: str,
                            model_hint: str | None) -> pd.DataFrame:
    return application_rows(store_at(store_path), application_id, model_hint=model_hint)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_approved_cached(store_path: str, version: str, model_id: str) -> tuple[pd.DataFrame, str]:
    """Feature values of recently approved applicants (a bounded sample) and who they are."""
    return load_approved_sample(store_at(store_path), model_id)


@st.cache_resource(show_spinner="Loading the model and its explainer...", max_entries=16)
def load_explainer_cached(store_path: str, model_id: str, revision: str) -> GroupedExplainer | str:
    """One explainer per model and registration; a message instead when it cannot be built."""
    return load_model_explainer(store_at(store_path), model_id)


def get_explainer(store: Store, model_id: str) -> GroupedExplainer | str:
    return load_explainer_cached(str(store.root), model_id, model_revision(store, model_id))


@st.cache_data(ttl=QUERY_TTL, show_spinner="Searching the smallest change that approves...")
def load_counterfactual_cached(store_path: str, version: str, model_id: str, revision: str,
                               application_id: str, approve_below: float) -> Counterfactual | str:
    explainer = load_explainer_cached(store_path, model_id, revision)
    if isinstance(explainer, str):
        return explainer
    return load_counterfactual(store_at(store_path), explainer, model_id, application_id, approve_below)


# ---------------------------------------------------------------------- helpers


def model_label(model_id: str, roles: dict[str, str]) -> str:
    role = roles.get(model_id)
    return f"{model_id} ({role})" if role else model_id


def policy_at(store: Store, model_id: str, when: Any) -> Policy:
    moment = pd.Timestamp(when).to_pydatetime() if when is not None and not pd.isna(when) else None
    return policy_in_force(store, model_id, at=moment)


def value_labels(row: pd.Series, store: Store, model_id: str) -> dict[str, str]:
    card = store.load_card(model_id)
    return {f.name: f"{f.name} = {compute_value_text(f, row.get(f.name))}" for f in card.features}


def effective_decision(decision: str | None, history: list[dict[str, Any]]) -> str | None:
    return str(history[-1]["to_decision"]) if history else decision


# ---------------------------------------------------------------------- render: queue


def render_queue(store: Store, models: pd.DataFrame, roles: dict[str, str]) -> str | None:
    """Filters, the paginated queue and the row the officer picked (its application id)."""
    path, version = str(store.root), store.version()
    ids = list(models["model_id"])
    default = next((m for m in ids if roles.get(m) == "champion"), ids[0])
    c1, c2, c3 = st.columns([2, 3, 3])
    model_id = c1.selectbox("Model", ids, index=ids.index(default), key="dq_model",
                            format_func=lambda m: model_label(m, roles))
    info = models[models["model_id"] == model_id].iloc[0]
    first, last = pd.Timestamp(info["first_day"]).date(), pd.Timestamp(info["last_day"]).date()
    picked = c2.date_input("Decided between", value=(max(first, last - dt.timedelta(days=6)), last),
                           min_value=first, max_value=last, key=f"dq_dates_{model_id}")
    decisions = c3.multiselect("Decision", ["approve", "decline", "review", "none"], key="dq_decisions",
                               placeholder="every decision",
                               help="'none' is a challenger's shadow score that decided nothing.")
    c4, c5, c6 = st.columns([3, 3, 2])
    band = c4.slider("Score band", 0.0, 1.0, (0.0, 1.0), step=0.01, key="dq_band")
    search = c5.text_input("Application id starts with", key="dq_search",
                           help="Searches every date of the model, not only the window.").strip()
    sort = c6.selectbox("Sort", list(SORTS), key="dq_sort")
    if not isinstance(picked, (tuple, list)) or len(picked) != 2:
        st.info("Pick both a start and an end date for the queue.")
        return None
    start, end = picked
    if int(info["n_decided"]) == 0:
        st.caption(f"{model_id} decides nothing (shadow scores only); its rows show as 'none'.")
    page = int(st.session_state.get("dq_page", 1))
    frame, total = load_queue_cached(path, version, model_id, start, end, tuple(decisions), band[0], band[1],
                                     search, sort, max(0, page - 1))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if total == 0:
        st.info("No decision matches these filters. Widen the dates or the score band, or clear the search.")
        return None
    if page > pages:
        st.session_state["dq_page"] = 1
        frame, total = load_queue_cached(path, version, model_id, start, end, tuple(decisions),
                                         band[0], band[1], search, sort, 0)
    overrides = latest_overrides(store)
    table = frame.assign(overridden_to=frame["application_id"].map(overrides).fillna(""))
    st.caption(f"{total:,} rows match. Pick a row to open the application.")
    event = st.dataframe(
        table[["timestamp", "application_id", "decision", "score", "overridden_to", "model_id"]],
        hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="dq_table",
        column_config={"score": st.column_config.NumberColumn(format="%.4f"),
                       "timestamp": st.column_config.DatetimeColumn("decided at", format="YYYY-MM-DD HH:mm"),
                       "overridden_to": st.column_config.TextColumn("override")})
    st.columns([1, 4])[0].number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1,
                                       key="dq_page")
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
    if rows:
        return str(table.iloc[rows[0]]["application_id"])
    return None


# ---------------------------------------------------------------------- render: application


def render_application(store: Store, application_id: str, roles: dict[str, str], hint: str | None) -> None:
    path, version = str(store.root), store.version()
    rows = load_application_cached(path, version, application_id, hint)
    if rows.empty:
        st.warning(f"No application with id '{application_id}' is in this store. Check the id, or find the "
                   "application in the queue above.")
        return
    # Personal columns are masked for every role but credit officers and admins.
    personal = {c for m in rows["model_id"].unique() for c in store.load_card(str(m)).personal_columns}
    rows = mask_personal(rows, personal, current_role())
    decided = rows[rows["decision"].notna()]
    main = decided.iloc[0] if len(decided) else rows.iloc[0]
    model_id = str(main["model_id"])
    card = store.load_card(model_id)
    audit_application_view(application_id, model_id)
    policy = policy_at(store, model_id, main["timestamp"])
    history = override_history(store, application_id)
    decision = None if is_missing(main["decision"]) else str(main["decision"])
    final = effective_decision(decision, history)

    st.subheader(f"Application {application_id}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Model decision", decision or "none (shadow only)",
              help="What the deciding model's score and the policy in force decided.")
    m2.metric("Score (probability of default)", f"{float(main['score']):.4f}")
    band = f", review from {policy.review_from:.3f}" if policy.review_from is not None else ""
    m3.metric("Cutoff in force", f"{policy.cutoff:.3f}",
              help=f"Policy version {policy.version} in force at the decision time{band}. "
                   "Scores at or above the cutoff are declined.")
    m4.metric("Final decision", final or "none",
              "overridden" if history else None, delta_color="off")
    st.caption(f"Decided by **{model_id}** ({card.name} v{card.version}, {roles.get(model_id, card.role)}) "
               f"on {pd.Timestamp(main['timestamp']):%Y-%m-%d %H:%M}; policy v{policy.version}{band}.")
    if len(decided) == 0:
        st.info("No model decided this application: only shadow scores are logged.")

    others = rows[rows["model_id"] != model_id]
    if len(others):
        st.markdown("**Challengers' scores for the same application**")
        table = []
        for _, other in others.iterrows():
            other_policy = policy_at(store, str(other["model_id"]), other["timestamp"])
            table.append({"model": model_label(str(other["model_id"]), roles),
                          "score": float(other["score"]),
                          "would decide": str(other_policy.decide(np.array([float(other["score"])]))[0]),
                          "its cutoff": other_policy.cutoff})
        st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch",
                     column_config={"score": st.column_config.NumberColumn(format="%.4f"),
                                    "its cutoff": st.column_config.NumberColumn(format="%.3f")})

    tabs = st.tabs(["Why", "What-if", "Override and history"])
    with tabs[0]:
        render_why(store, rows, model_id, decision)
    with tabs[1]:
        render_whatif(store, main, model_id, policy, application_id)
    with tabs[2]:
        render_override(store, application_id, model_id, final, history)


def render_why(store: Store, rows: pd.DataFrame, deciding: str, decision: str | None) -> None:
    ids = list(rows["model_id"].astype(str))
    model_id = st.selectbox("Explain the score of", ids, index=ids.index(deciding), key="why_model",
                            help="The deciding model by default; a challenger's score can be explained too.")
    row = rows[rows["model_id"] == model_id].iloc[0]
    explainer = get_explainer(store, model_id)
    if isinstance(explainer, str):
        st.warning(explainer)
        return
    card = store.load_card(model_id)
    explanation = explainer.explain(rows[rows["model_id"] == model_id].head(1))
    contributions = explanation.values.iloc[0]
    margin = float(explanation.margins()[0])
    render_figure(plotly_waterfall(contributions, explanation.base_value, explanation.link,
                                   value_labels(row, store, model_id)))
    scale = LINK_LABELS[explanation.link]
    st.caption(
        f"Attributions by a {explainer.kind} SHAP explainer, in the applicant's own features (columns the "
        f"model derives from one feature are summed back to it). The values are on the scale of the "
        f"**{scale}**: the base value {explanation.base_value:+.3f} is the model's average over the reference "
        f"sample; base plus all contributions = {margin:+.3f}, which is a score of "
        f"{float(to_score(margin, explanation.link)):.4f} (logged score {float(row['score']):.4f}).")
    if abs(float(to_score(margin, explanation.link)) - float(row["score"])) > 1e-3:
        st.warning("The registered model re-scores this application differently from the logged score: the "
                   "logged features or the model version may not match what was served.")
    path, version = str(store.root), store.version()
    approved, population = load_approved_cached(path, version, model_id)
    own = decision if model_id == deciding else str(policy_at(store, model_id, row["timestamp"]).decide(
        np.array([float(row["score"])]))[0])
    reasons = compute_reasons(contributions, row, card, own, approved)
    adverse = own in ("decline", "review")
    st.markdown("**Principal reasons for the " + ("decline**" if own == "decline" else "review**")
                if adverse else "**Main factors supporting the approval**")
    if not reasons:
        st.info("No feature pushed the score in that direction; the decision rests on the base value.")
    else:
        st.markdown("\n".join(f"{i}. {escape_markdown(r.text)}" for i, r in enumerate(reasons, start=1)))
        st.caption(f"Compared with a sample of {len(approved):,} recent {population} of {model_id}. "
                   "Protected attributes are never given as reasons.")


def _whatif_input(spec: Any, current: Any, key: str) -> Any:
    if spec.type == "numeric":
        value = None if is_missing(current) else float(current)
        integer = value is not None and float(value).is_integer()
        return st.number_input(spec.description or spec.name, value=value, key=key,
                               format="%.0f" if integer else "%.4f",
                               help=f"{spec.name}; card range {spec.min} to {spec.max}. Empty = missing.")
    options = ["(missing)", *spec.categories]
    if not is_missing(current) and str(current) not in options:
        options.append(str(current))
    index = 0 if is_missing(current) else options.index(str(current))
    choice = st.selectbox(spec.description or spec.name, options, index=index, key=key, help=spec.name)
    return None if choice == "(missing)" else choice


def render_whatif(store: Store, row: pd.Series, model_id: str, policy: Policy, application_id: str) -> None:
    explainer = get_explainer(store, model_id)
    if isinstance(explainer, str):
        st.warning(explainer)
        return
    card = store.load_card(model_id)
    st.caption("Edit the applicant's values and re-score them with the real model, under the policy that "
               f"was in force for this decision (cutoff {policy.cutoff:.3f}).")
    with st.form(f"whatif_{application_id}_{model_id}"):
        cols = st.columns(3)
        values = {}
        for i, spec in enumerate(card.features):
            with cols[i % 3]:
                values[spec.name] = _whatif_input(spec, row.get(spec.name),
                                                  f"wi_{application_id}_{model_id}_{spec.name}")
        submitted = st.form_submit_button("Re-score")
    if submitted:
        render_whatif_result(explainer, card, row, values, policy)
    decision = str(policy.decide(np.array([float(row["score"])]))[0])
    st.markdown("**Smallest change that would approve**")
    if decision == "approve":
        st.caption("The model approved this application; no change is needed.")
        return
    path = str(store.root)
    result = load_counterfactual_cached(path, store.version(), model_id, model_revision(store, model_id),
                                        application_id, policy.approve_below)
    if isinstance(result, str):
        st.warning(result)
    elif result.found:
        st.markdown("\n".join(f"- {escape_markdown(c.text)}" for c in result.changes))
        st.caption(result.message + " Only features the model card marks as actionable are changed, within "
                   "the card's bounds and the range seen in the reference data.")
    else:
        st.info(result.message)


def render_whatif_result(explainer: GroupedExplainer, card: Any, row: pd.Series, values: dict[str, Any],
                         policy: Policy) -> None:
    edited, problems = validate_whatif(card, values)
    if problems:
        st.warning("These values cannot be scored:\n\n" + "\n".join(f"- {escape_markdown(p)}" for p in problems))
        return
    before = pd.DataFrame([row[card.feature_names].to_dict()])
    score = float(explainer.predict(edited)[0])
    old = float(explainer.predict(before)[0])
    decision = str(policy.decide(np.array([score]))[0])
    c1, c2 = st.columns(2)
    c1.metric("New score", f"{score:.4f}", f"{score - old:+.4f}", delta_color="inverse")
    c2.metric("New decision", decision)
    changed = explainer.explain(pd.concat([before, edited], ignore_index=True))
    render_figure(plotly_attribution_change(changed.values.iloc[0], changed.values.iloc[1], changed.link))


def render_override(store: Store, application_id: str, model_id: str, final: str | None,
                    history: list[dict[str, Any]]) -> None:
    targets = [t for t in OVERRIDE_TARGETS if t != final]
    with st.form(f"override_{application_id}", clear_on_submit=True):
        st.markdown(f"**Override the decision** (now: {final or 'none'})")
        target = st.radio("New decision", targets, horizontal=True, key=f"ov_to_{application_id}")
        reason = st.text_area("Reason (required; kept in the audit trail)", key=f"ov_reason_{application_id}")
        submitted = st.form_submit_button("Record override")
    if submitted:
        try:
            record_override(store, application_id, model_id, final, str(target), reason, current_user(),
                            role=current_role())
        except (OverrideError, PermissionError) as exc:
            st.warning(str(exc))
        else:
            st.success(f"Override recorded: {final or 'none'} → {target}.")
            history = override_history(store, application_id)
    st.markdown("**History**")
    if not history:
        st.caption("No override recorded for this application.")
        return
    st.dataframe(pd.DataFrame([{"at": e.get("at"), "by": e.get("actor"), "from": e.get("from_decision"),
                                "to": e.get("to_decision"), "reason": e.get("reason")} for e in history]),
                 hide_index=True, width="stretch")
