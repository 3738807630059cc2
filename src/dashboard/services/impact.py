"""The Impact scorecard of a period: what the page, the printable report and the CLI show.

Owns the composition: the champion, its data span, the rollup aggregates of each window
(`store.impact`), the policy in force, the business assumptions and the targets, turned into
the scorecard and the monthly trend by `analytics.impact`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard.analytics.assumptions import AssumptionsError, BusinessAssumptions
from dashboard.analytics.binning import SCORE_BINS
from dashboard.analytics.impact import REFERENCE_MONTHS, compute_scorecard, compute_trend
from dashboard.analytics.impact_figures import ImpactContext, has_decisions
from dashboard.analytics.periods import Period, months_between, previous_period
from dashboard.analytics.scorecard import Scorecard, Targets
from dashboard.store.assumptions import assumptions_in_force
from dashboard.store.challengers import load_labelled_score_histogram
from dashboard.store.config import business_config_path
from dashboard.store.impact import (
    impact_targets_path,
    load_data_span,
    load_impact_targets,
    load_overrides,
    load_windows,
)
from dashboard.store.policy import policy_in_force
from dashboard.store.registry import champion_id

if TYPE_CHECKING:
    from dashboard.store import Store


def load_assumptions_in_force(store: Store) -> BusinessAssumptions:
    """The shared business assumptions (file overlaid by change events); AssumptionsError on a bad value."""
    return assumptions_in_force(store)


def load_context(store: Store, model_id: str) -> ImpactContext:
    """Policy, card, drift reference and matured amounts of the model; overrides recorded."""
    card = store.load_card(model_id)
    policy = policy_in_force(store, model_id)
    span = load_data_span(store, model_id)
    hist = np.zeros(SCORE_BINS)
    label = "no data"
    if span is not None:
        first = span[0].replace(day=1)
        ref_end = (pd.Timestamp(first) + pd.DateOffset(months=REFERENCE_MONTHS)).date() - dt.timedelta(days=1)
        ref = load_labelled_score_histogram(store, model_id, None, ref_end)
        if not ref.empty:
            np.add.at(hist, ref["bin"].to_numpy(dtype=int).clip(0, SCORE_BINS - 1), ref["n"].to_numpy(dtype=float))
        label = f"{model_id} scores from {span[0]} to {min(ref_end, span[1])} (first {REFERENCE_MONTHS} months)"
    return ImpactContext(
        model_id=model_id, policy_cutoff=policy.cutoff, policy_review_from=policy.review_from,
        card_has_reasons=bool(card.features) and all(f.reason_template for f in card.features),
        reference_hist=hist, reference_label=label,
        overrides=load_overrides(store, model_id))


def load_champion_span(store: Store) -> tuple[dt.date, dt.date] | None:
    """First and last day of the champion's logs (None without a champion or logs): the periods on offer."""
    model_id = champion_id(store)
    return load_data_span(store, model_id) if model_id else None


@dataclass
class ImpactResult:
    """What the page, the report and the CLI show; `message` explains an empty result."""

    scorecard: Scorecard | None
    trend: pd.DataFrame
    span: tuple[dt.date, dt.date] | None
    model_id: str | None
    assumptions: BusinessAssumptions | None
    targets: Targets
    message: str = ""
    warnings: list[str] = field(default_factory=list)


def load_impact(store: Store, period: Period, with_trend: bool = True,
                assumptions: BusinessAssumptions | None = None, targets: Targets | None = None) -> ImpactResult:
    """The scorecard of `period` for the champion, its previous period and the monthly trend."""
    targets = targets if targets is not None else load_impact_targets()
    warnings = list(targets.problems)
    if not targets.by_figure and not targets.problems:
        warnings.append("No targets are set: every status shows 'no target'. Set them in "
                        f"{impact_targets_path()}.")
    try:
        assumptions = assumptions or load_assumptions_in_force(store)
    except (AssumptionsError, OSError) as exc:
        return ImpactResult(None, pd.DataFrame(), None, None, None, targets,
                            f"The business assumptions cannot be read, so no money or time figure can be "
                            f"computed: {exc}", warnings)
    model_id = champion_id(store)
    if model_id is None:
        return ImpactResult(None, pd.DataFrame(), None, None, assumptions, targets,
                            "No model is registered in this store yet: register a model and ingest its "
                            "prediction logs (see the README).", warnings)
    span = load_data_span(store, model_id)
    if span is None:
        return ImpactResult(None, pd.DataFrame(), None, model_id, assumptions, targets,
                            f"The champion {model_id} has no prediction logs yet: ingest them first.", warnings)
    prev = previous_period(period)
    months = months_between(*span) if with_trend else []
    windows = load_windows(store, model_id, [period, prev, previous_period(prev), *months])
    ctx = load_context(store, model_id)
    if not has_decisions(windows[period.label]):
        return ImpactResult(None, compute_trend(windows, months, ctx, assumptions, targets), span, model_id,
                            assumptions, targets,
                            f"No decisions by the champion {model_id} in {period.label} "
                            f"({period.start} to {period.end}). Its logs run from {span[0]} to {span[1]} "
                            "(scores in shadow, without a decision, do not count): choose a period in which "
                            "it decided.", warnings)
    card = compute_scorecard(windows[period.label], windows[prev.label], windows[previous_period(prev).label],
                             ctx, assumptions, targets, period)
    trend = compute_trend(windows, months, ctx, assumptions, targets)
    return ImpactResult(card, trend, span, model_id, assumptions, targets, "", warnings)


__all__ = ["ImpactResult", "business_config_path", "impact_targets_path", "load_assumptions_in_force",
           "load_champion_span", "load_context", "load_impact"]
