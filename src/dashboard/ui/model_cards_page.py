"""The Model cards page: each registered model's card with its live facts; Markdown export."""

from __future__ import annotations

import streamlit as st

from dashboard.analytics.model_card import compute_card_markdown, compute_missing_fields
from dashboard.ui import data
from dashboard.ui.model_cards import (
    load_live_facts_cached,
    render_card,
    render_live_facts,
    render_missing,
)
from dashboard.ui.retrain import render_backfill_labels


def render() -> None:
    st.title("Model cards")
    store = data.get_store()
    path, version = str(store.root), store.version()
    cards = store.list_cards()
    if not cards:
        st.info("No model is registered yet. Register one with `dashboard register-model CARD --artifact MODEL`: "
                "see the README, section 'Bring your own model and logs'.")
        st.stop()
    roles = data.load_roles_cached(path, version)
    ids = sorted(cards, key=lambda m: (roles.get(m) != "champion", m))
    asked = st.query_params.get("model")
    model_id = st.selectbox("Model", ids, index=ids.index(asked) if asked in ids else 0,
                            format_func=lambda m: f"{m} ({roles.get(m, cards[m].role)})", key="card_model")
    card = cards[str(model_id)]
    render_backfill_labels(store, [card.id], None, None)
    role_now = roles.get(card.id, card.role)
    facts = load_live_facts_cached(path, version, card.id, role_now)
    missing = compute_missing_fields(card)

    render_missing(missing)
    render_card(card, role_now)
    render_live_facts(card, facts)
    st.download_button("Export as Markdown", compute_card_markdown(card, facts),
                       file_name=f"model-card-{card.id}.md", mime="text/markdown", key="card_export")
