"""The Decisions page: the queue, one application's rows, its explanation and its what-if.

Owns what combines the store's reads with a model: loading a model's explainer (its artifact,
with its reference data or a sample of logged rows as background), the sample of recently
approved applicants the page compares with, and the smallest change that would approve an
application. The queue and row reads are `store.decisions`'s; overrides are `services.overrides`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from dashboard.explain.explainer import ExplainError, GroupedExplainer, load_explainer
from dashboard.explain.whatif import Counterfactual, compute_counterfactual
from dashboard.models.artifact import ArtifactError
from dashboard.store.decisions import (
    SORTS,
    QueueFilter,
    application_rows,
    decision_models,
    decision_queue,
    feature_sample,
    model_revision,
)

if TYPE_CHECKING:
    from dashboard.store import Store

BACKGROUND_ROWS = 2_000


def load_approved_sample(store: Store, model_id: str) -> tuple[pd.DataFrame, str]:
    """Feature values of recently approved applicants (a bounded sample) and who they are."""
    names = store.load_card(model_id).feature_names
    sample = feature_sample(store, model_id, names)
    if len(sample):
        return sample, "approved applicants"
    return feature_sample(store, model_id, names, decision=None), "applicants scored by this model"


def load_model_explainer(store: Store, model_id: str) -> GroupedExplainer | str:
    """The model's explainer; a message instead when it cannot be built."""
    card = store.load_card(model_id)
    try:
        model = store.load_model(model_id)   # the store's one model cache
    except ArtifactError as exc:
        return f"The artifact of model {model_id} cannot be loaded: {exc}"
    if model is None:
        return (f"Model {model_id} was registered without its artifact (model.skops), so its decisions "
                "cannot be explained or re-scored. Register it again with --artifact.")
    background = store.read_reference(model_id)
    if background is None or background.empty:
        background = feature_sample(store, model_id, card.feature_names, rows=BACKGROUND_ROWS, decision=None)
    try:
        return load_explainer(model, card, background)
    except ExplainError as exc:
        return str(exc)


def load_counterfactual(store: Store, explainer: GroupedExplainer, model_id: str, application_id: str,
                        approve_below: float) -> Counterfactual | str:
    """The smallest change of the application's features that `explainer`'s model approves;
    a message instead when the model did not score the application."""
    rows = application_rows(store, application_id, model_hint=model_id)
    rows = rows[rows["model_id"] == model_id]
    if rows.empty:
        return f"Application {application_id} has no score from model {model_id}."
    card = store.load_card(model_id)
    reference = store.read_reference(model_id)
    applicant = rows.iloc[[0]][card.feature_names].reset_index(drop=True)
    return compute_counterfactual(explainer.predict, card, applicant, approve_below, reference)


__all__ = ["BACKGROUND_ROWS", "SORTS", "QueueFilter", "application_rows", "decision_models",
           "decision_queue", "load_approved_sample", "load_counterfactual", "load_model_explainer",
           "model_revision"]
