"""The Model cards page: each model's live facts next to its card.

Owns the composition of the facts: the model's daily volumes, score histograms (all,
labelled, monthly, per protected group) from `store.challengers`'s queries, the policy in
force and the business assumptions, computed by `analytics.model_card`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.model_card import LiveFacts, compute_live_facts
from dashboard.store.assumptions import assumptions_in_force
from dashboard.store.challengers import (
    load_group_score_histogram,
    load_labelled_score_histogram,
    load_model_daily,
    load_monthly_score_histograms,
)
from dashboard.store.policy import policy_in_force

if TYPE_CHECKING:
    from dashboard.store import Store


def load_live_facts(store: Store, model_id: str, role_now: str) -> LiveFacts:
    """Volumes, live metrics, drift and fairness of one model from the rollups."""
    card = store.load_card(model_id)
    return compute_live_facts(card, role_now, load_model_daily(store, model_id),
                              load_labelled_score_histogram(store, model_id),
                              load_monthly_score_histograms(store, [model_id]),
                              load_group_score_histogram(store, model_id), policy_in_force(store, model_id),
                              assumptions_in_force(store))
