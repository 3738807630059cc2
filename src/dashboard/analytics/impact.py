"""The executive's seven-point impact scorecard, computed from rollup aggregates (pure).

Every figure carries its plain definition, its formula and the inputs that went into it,
so the page, the printable report and the CLI all show how it was computed.

Money follows the one money model (`analytics/money.py`): realized figures for matured loans
(their own amounts and losses where the outcomes give them, the assumptions where they do not),
expected figures for the rest from the champion's score read as a calibrated probability of
default (PD, the midpoint of its 0.001-wide score bin). Every money figure lists which inputs
were observed and which assumed. Amounts are in the lender's currency (business.toml [money]).
Fairness follows `analytics/fairness.py` (banded numeric attributes, one minimum group size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.impact_figures import (
    ImpactContext,
    WindowData,
    compute_window_figures,
    covered_days,
    has_decisions,
)
from dashboard.analytics.periods import (
    Period,
    PeriodError,
    previous_period,
)
from dashboard.analytics.scorecard import (
    NOT_READABLE,
    SPECS,
    Scorecard,
    Targets,
    compute_status,
    scaled_target,
)

REFERENCE_MONTHS = 3          # drift reference: the model's first months of scoring


# A period or a targets file that cannot be used; the message says what to fix. Periods live in
# analytics.periods; one exception type for both keeps every `except ImpactError` catching both.
ImpactError = PeriodError


def compute_scorecard(current: WindowData, previous: WindowData, before_previous: WindowData | None,
                      ctx: ImpactContext, assumptions: BusinessAssumptions, targets: Targets,
                      period: Period) -> Scorecard:
    """The scorecard of `period` with changes against the previous period, targets and statuses."""
    prev_period = previous_period(period)
    prev_prev = None
    if before_previous is not None:
        prev_prev = compute_window_figures(before_previous, ctx, assumptions, previous_period(prev_period),
                                           targets)["approved_amount"].value
    prev = compute_window_figures(previous, ctx, assumptions, prev_period, targets, prev_prev)
    figs = compute_window_figures(current, ctx, assumptions, period, targets, prev["approved_amount"].value)
    days = covered_days(current, period)
    for key, f in figs.items():
        f.previous = prev[key].value
        raw = targets.by_figure.get(key)
        f.target = scaled_target(raw, f.spec, days) if raw else None
        f.status = compute_status(f.value, f.target, f.spec.higher_is_better, f.unreadable)
    notes = []
    if not has_decisions(current):
        notes.append(f"No decisions by {ctx.model_id} in {period.label}.")
    elif current.last_date is not None and current.last_date < period.end:
        notes.append(f"The data end on {current.last_date}: {period.label} is covered for {days} of "
                     f"{period.days} days.")
    if not has_decisions(previous):
        notes.append(f"No decisions in the previous period ({prev_period.label}): no change is shown.")
    for f in figs.values():
        if f.status == NOT_READABLE:
            notes.append(f"{f.spec.label} cannot be read (status n/a): {f.unreadable}.")
    return Scorecard(period, prev_period, ctx.model_id, figs, notes, assumptions.currency)


def compute_trend(windows: Mapping[str, WindowData], periods: Sequence[Period], ctx: ImpactContext,
                  assumptions: BusinessAssumptions, targets: Targets) -> pd.DataFrame:
    """One row per month: every figure's value (the chart data of the trend)."""
    rows = []
    prev_amount: float | None = None
    for p in periods:
        w = windows.get(p.label)
        if w is None or not has_decisions(w):
            prev_amount = None
            continue
        figs = compute_window_figures(w, ctx, assumptions, p, targets, prev_amount)
        prev_amount = figs["approved_amount"].value
        rows.append({"period": pd.Timestamp(p.start), "label": p.label,
                     **{k: f.value for k, f in figs.items()}})
    return pd.DataFrame(rows, columns=["period", "label", *SPECS])
