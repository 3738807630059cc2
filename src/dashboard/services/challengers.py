"""The Challengers page: champion against challengers on the same applications, and explainability.

Owns the compositions behind the page: the paired shadow sample (`store.challengers`) scored
at each model's cutoff under the policy in force and the business assumptions, compared by
`analytics.comparison`; each model's explainability measured on its reference rows (its
artifact loaded here); the score PSI by month. Promotion is `services.registry`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.comparison import Comparison, compute_comparison, compute_psi_by_month
from dashboard.analytics.explainability import (
    compute_importance,
    compute_model_type,
    compute_monotonicity,
    compute_scorecard_points,
)
from dashboard.models.artifact import ArtifactError
from dashboard.store.assumptions import assumptions_in_force
from dashboard.store.challengers import (
    DEFAULT_MAX_APPLICATIONS,
    RAW_SAMPLE,
    ROLLUP_SAMPLE,
    artifact_signature,
    data_window,
    load_monthly_score_histograms,
    load_shadow_rows,
)
from dashboard.store.policy import policy_in_force

if TYPE_CHECKING:
    from dashboard.store import Store

IMPORTANCE_ROWS = 2_000
MONOTONE_ROWS = 400
CARD_CUTOFF = "Each challenger's card cutoff"
SAME_POLICY = "The champion's policy in force"


@dataclass
class ComparisonView:
    comparison: Comparison
    window_applications: int
    sampled: bool
    fraction: float
    cutoff_rule: str
    sample_applications: int = 0                              # the champion's sampled applications
    overlaps: dict[str, int] = field(default_factory=dict)    # per challenger: sampled applications it scored
    source: str = ROLLUP_SAMPLE
    per_day: int = 0
    assumptions: BusinessAssumptions = field(default_factory=BusinessAssumptions)


def load_comparison(store: Store, champion: str, challengers: tuple[str, ...], start: dt.date | None,
                    end: dt.date | None, cutoff_rule: str,
                    max_applications: int = DEFAULT_MAX_APPLICATIONS) -> ComparisonView:
    """The champion and challengers compared on the paired shadow sample of [start, end].

    `cutoff_rule`: SAME_POLICY scores every model at the champion's policy in force,
    CARD_CUTOFF each challenger at its own card's cutoff.
    """
    shadow = load_shadow_rows(store, [champion, *challengers], start, end, max_applications)
    champ_policy = policy_in_force(store, champion)
    cards = store.list_cards()
    cutoffs = {champion: champ_policy.approve_below}
    for m in challengers:
        cutoffs[m] = champ_policy.approve_below if cutoff_rule == SAME_POLICY else cards[m].cutoff
    assumptions = assumptions_in_force(store)  # the file overlaid by the changes made on Thresholds
    comparison = compute_comparison(shadow.frame, champion, list(challengers), cutoffs,
                                    assumptions, shadow.protected)
    return ComparisonView(comparison=comparison, window_applications=shadow.window_applications,
                          sampled=shadow.sampled, fraction=shadow.fraction, cutoff_rule=cutoff_rule,
                          sample_applications=len(shadow.frame),
                          overlaps={m: shadow.overlap(m) for m in challengers}, source=shadow.source,
                          per_day=shadow.per_day, assumptions=assumptions)


def load_psi_by_month(store: Store, models: list[str]) -> pd.DataFrame:
    """Each model's score PSI by month against its own first months (rollups)."""
    return compute_psi_by_month(load_monthly_score_histograms(store, models))


def load_model_explainability(store: Store, model_id: str) -> dict[str, Any]:
    """Model type, permutation importance, monotonicity and scorecard points, on reference rows.

    `message` says what could not be measured and why (no artifact, no reference data, no label).
    """
    card = store.load_card(model_id)
    out: dict[str, Any] = {"model_id": model_id, "algorithm": card.algorithm, "message": None,
                           "model_type": None, "importance": None, "monotonicity": None, "scorecard": None}
    try:
        model = store.load_model(model_id)   # the store's one model cache
    except ArtifactError as exc:
        out["message"] = f"The model artifact could not be loaded: {exc}"
        return out
    if model is None:
        out["message"] = "No model artifact is registered, so explainability cannot be measured."
        return out
    out["model_type"] = compute_model_type(model)
    reference = store.read_reference(model_id)
    features = [f for f in card.feature_names if reference is not None and f in reference]
    if reference is None or len(features) < len(card.feature_names):
        out["message"] = "No reference data with every card feature is registered, so importance and " \
                         "monotonicity cannot be measured."
        return out
    x = reference[card.feature_names]
    if "label" in reference and reference["label"].nunique() == 2:
        rows = reference.sample(n=min(IMPORTANCE_ROWS, len(reference)), random_state=0)
        out["importance"] = compute_importance(model, rows[card.feature_names], rows["label"].to_numpy(dtype=int))
    else:
        out["message"] = "The reference data has no two-class `label` column, so importance cannot be measured."
    probe = x.sample(n=min(MONOTONE_ROWS, len(x)), random_state=1)
    out["monotonicity"] = compute_monotonicity(model, probe, card)
    out["scorecard"] = compute_scorecard_points(model, x.sample(n=min(5_000, len(x)), random_state=2), card)
    return out


__all__ = ["CARD_CUTOFF", "DEFAULT_MAX_APPLICATIONS", "IMPORTANCE_ROWS", "MONOTONE_ROWS", "RAW_SAMPLE",
           "ROLLUP_SAMPLE", "SAME_POLICY", "ComparisonView", "artifact_signature", "data_window",
           "load_comparison", "load_model_explainability", "load_psi_by_month"]
