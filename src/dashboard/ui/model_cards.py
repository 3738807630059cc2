"""Cached loaders and render helpers for the Model cards page. Card text is shown as text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.analytics.fairness import FOUR_FIFTHS
from dashboard.analytics.model_card import SCORE_BINS, LiveFacts
from dashboard.models.card import ModelCard
from dashboard.services.model_cards import load_live_facts
from dashboard.services.stores import open_store
from dashboard.ui.fairness import render_group_table
from dashboard.ui.format import fmt_int, fmt_pct

QUERY_TTL = 300


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_live_facts_cached(store_path: str, version: str, model_id: str, role_now: str) -> LiveFacts:
    return load_live_facts(open_store(store_path), model_id, role_now)


def _num(value: float | None, fmt: str = "{:.3f}") -> str:
    return "n/a" if value is None else fmt.format(value)


def render_card(card: ModelCard, role_now: str) -> None:
    """The card's own fields; free text goes through st.text so nothing in it is interpreted."""
    st.subheader(f"{card.name} · {card.id} · v{card.version}")
    facts = pd.DataFrame([
        ("role now", role_now), ("role in the card", card.role), ("algorithm", card.algorithm),
        ("owner", card.owner), ("target", card.target), ("cutoff in the card", f"{card.cutoff:.3f}"),
        ("training window", " to ".join(card.training_window) if card.training_window else "not stated"),
        ("training data", str(card.training.get("data", "not stated"))),
        ("protected attributes", ", ".join(card.protected_attributes) or "none declared"),
    ], columns=["field", "value"])
    st.dataframe(facts, hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Intended use**")
        st.text(card.intended_use or "(missing)")
    with right:
        st.markdown("**Limitations**")
        st.text(card.limitations or "(missing)")
    st.markdown("**Features**")
    st.dataframe(pd.DataFrame([{
        "feature": f.name, "type": f.type, "description": f.description,
        "reason shown to applicants": f.reason_template, "actionable": f.actionable,
        "expected direction": {1: "higher value, higher risk", -1: "higher value, lower risk"}.get(f.direction or 0,
                                                                                                  "none"),
    } for f in card.features]), hide_index=True, width="stretch")
    if card.validation_metrics:
        st.markdown("**Validation metrics (from the card)**")
        st.dataframe(pd.DataFrame(sorted(card.validation_metrics.items()), columns=["metric", "value"]),
                     hide_index=True)


def render_live_facts(card: ModelCard, facts: LiveFacts) -> None:
    st.subheader("Live facts")
    if not facts.has_logs:
        st.info(f"No prediction logs for {card.id} yet: live metrics, drift and fairness appear once its logs "
                "are ingested.")
    else:
        st.caption(f"Data window seen: {facts.first_day} to {facts.last_day}. Live metrics use matured outcomes, "
                   "which exist only for loans the champion approved.")
        a, b, c, d = st.columns(4)
        a.metric("Applications scored", fmt_int(facts.applications))
        b.metric("Matured outcomes", fmt_int(facts.labelled), help="Approved loans whose outcome has arrived.")
        validation = card.validation_metrics.get("auc")
        delta = f"{facts.auc - validation:+.3f} vs card" if facts.auc is not None and validation else None
        c.metric("Live AUC", _num(facts.auc), delta, help=f"From {SCORE_BINS:,}-bin score histograms of matured loans.")
        d.metric("Realized bad rate", fmt_pct(facts.bad_rate))
        e, f, g, h = st.columns(4)
        e.metric("Live KS", _num(facts.ks))
        f.metric("Live Brier score", _num(facts.brier, "{:.4f}"))
        f_psi = f"{facts.psi_month} vs {facts.psi_reference_month}" if facts.psi_month else "needs two months"
        g.metric("Drift (score PSI)", _num(facts.psi), facts.drift_status, delta_color="off", help=f_psi)
        h.metric("Lowest adverse impact ratio", _num(facts.lowest_air, "{:.2f}"),
                 "below four-fifths" if facts.lowest_air is not None and facts.lowest_air < FOUR_FIFTHS else None,
                 delta_color="inverse" if facts.lowest_air is not None and facts.lowest_air < FOUR_FIFTHS else "off",
                 help="Approval rate of each protected group at the policy in force over the most-approved "
                      "group's, among groups with enough decided applications (numeric attributes in bands).")
        if not facts.fairness.empty:
            with st.expander("Approval rate by protected group at the policy in force"):
                render_group_table(facts.fairness, facts.min_group_size)
    pol = facts.policy
    review = f", review from {pol['review_from']:.3f}" if pol.get("review_from") is not None else ""
    since = pol.get("effective_at") or "registration (the card's cutoff)"
    st.markdown("**Policy in force**")
    st.text(f"Version {pol.get('version')}: decline at or above {pol.get('cutoff', 0):.3f}{review}; since {since}; "
            f"rationale: {pol.get('rationale') or 'none recorded'}")


def render_missing(missing: list[str]) -> None:
    if missing:
        st.warning(f"{len(missing)} card field(s) a reviewer expects are empty: " + ", ".join(missing))
    else:
        st.success("Every recommended card field is filled in.")
