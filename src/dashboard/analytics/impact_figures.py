"""The values of the scorecard's figures for one window of rollup aggregates (pure).

Money follows `analytics/money.py`, fairness `analytics/fairness.py`; each figure carries its
formula and inputs (which were observed and which assumed), so every place that shows it can
say how it was computed. `analytics.impact` puts the windows together into a scorecard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.binning import SCORE_BINS, latency_bin_value
from dashboard.analytics.drift_thresholds import psi_status
from dashboard.analytics.fairness import compute_adverse_impact, compute_group_rates
from dashboard.analytics.histogram import decile_psi
from dashboard.analytics.money import Money, MoneyBasis, MoneySums, compute_money
from dashboard.analytics.overrides import override_day, override_outcome, override_reason
from dashboard.analytics.periods import Period
from dashboard.analytics.scorecard import Figure, Targets, format_value

DECIDED = ("approve", "decline", "review")


# --------------------------------------------------------------------------- inputs
@dataclass
class WindowData:
    """Rollup aggregates of one model over one window (all small: bins, not rows).

    scores: decision, bin and the money sums of `analytics.money.MONEY_COLUMNS`
    groups: attribute, group, approved, decided
    latency: bin, n
    """

    scores: pd.DataFrame
    groups: pd.DataFrame
    latency: pd.DataFrame
    predictions_all_models: int = 0
    busiest_day_predictions: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None


@dataclass
class ImpactContext:
    """Facts outside any one window: the champion, its policy and card, the drift reference."""

    model_id: str
    policy_cutoff: float
    policy_review_from: float | None
    card_has_reasons: bool
    reference_hist: np.ndarray              # SCORE_BINS counts of the model's first months
    reference_label: str
    overrides: list[dict[str, Any]] = field(default_factory=list)


def empty_scores() -> pd.DataFrame:
    from dashboard.analytics.money import MONEY_COLUMNS

    return pd.DataFrame({"decision": pd.Series(dtype=object),
                         **{c: pd.Series(dtype="int64") for c in ("bin", *MONEY_COLUMNS)}})


def empty_groups() -> pd.DataFrame:
    return pd.DataFrame({"attribute": pd.Series(dtype=object), "group": pd.Series(dtype=object),
                         "approved": pd.Series(dtype="int64"), "decided": pd.Series(dtype="int64")})


def has_decisions(w: WindowData) -> bool:
    """Whether the model decided anything in the window (shadow scores carry decision 'none')."""
    return bool(not w.scores.empty and w.scores["decision"].isin(DECIDED).any())


def _pd(bins: np.ndarray) -> np.ndarray:
    """The calibrated probability of default of a score bin: its midpoint."""
    return (np.asarray(bins, dtype=float) + 0.5) / SCORE_BINS


def baseline_bin(cutoff: float) -> int:
    """The baseline approves score bins below this one (exact for cutoffs on the 0.001 grid)."""
    return int(round(cutoff * SCORE_BINS))


@dataclass(frozen=True)
class _Money:
    """Money sums of one window: realized (matured) and expected (calibrated score) parts."""

    n_decided: int
    n_approve: int
    n_decline: int
    n_review: int
    approved_amount: float
    approved_matured_amount: float
    matured_approved: int
    realized_loss: float
    expected_loss: float
    income_realized: float
    income_expected: float
    extra_loss_realized: float        # approved by policy, declined by baseline
    extra_loss_expected: float
    avoided_loss_expected: float      # approved by baseline, not approved by policy
    extra_good: float
    extra_good_matured: int
    approved_basis: MoneyBasis        # which inputs of the approved loans were observed
    extra_basis: MoneyBasis           # ... of the loans the baseline would have declined


def _money(scores: pd.DataFrame, a: BusinessAssumptions) -> _Money:
    s = scores
    dec = s["decision"].astype(str).to_numpy() if not s.empty else np.array([], dtype=object)
    sums = MoneySums.from_frame(s)
    b = s["bin"].to_numpy() if not s.empty else np.array([], dtype=int)
    pdb = _pd(b)
    money: Money = compute_money(sums, pdb, a)
    approve = dec == "approve"
    not_approved = (dec == "decline") | (dec == "review")
    base_ok = b < baseline_bin(a.baseline_cutoff)
    extra = approve & ~base_ok
    goods = sums.n_labelled - sums.n_bad
    avoided = not_approved & base_ok
    return _Money(
        n_decided=int(sums.n[np.isin(dec, DECIDED)].sum()), n_approve=int(sums.n[approve].sum()),
        n_decline=int(sums.n[dec == "decline"].sum()), n_review=int(sums.n[dec == "review"].sum()),
        approved_amount=float((money.matured_exposure + money.expected_exposure)[approve].sum()),
        approved_matured_amount=float(money.matured_exposure[approve].sum()),
        matured_approved=int(sums.n_labelled[approve].sum()),
        realized_loss=float(money.realized_loss[approve].sum()),
        expected_loss=float(money.expected_loss[approve].sum()),
        income_realized=float(money.realized_interest[approve].sum()),
        income_expected=float(money.expected_interest[approve].sum()),
        extra_loss_realized=float(money.realized_loss[extra].sum()),
        extra_loss_expected=float(money.expected_loss[extra].sum()),
        avoided_loss_expected=float((money.realized_loss + money.expected_loss)[avoided].sum()),
        extra_good=float((goods + money.open - money.expected_defaults)[extra].sum()),
        extra_good_matured=int(goods[extra].sum()),
        approved_basis=MoneyBasis.of(sums, approve), extra_basis=MoneyBasis.of(sums, extra),
    )


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float | None:
    """The smallest value whose cumulative weight reaches q of the total (no interpolation)."""
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = w > 0
    v, w = v[keep], w[keep]
    if w.sum() <= 0:
        return None
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    idx = int(np.searchsorted(np.cumsum(w), q * w.sum() - 1e-9, side="left"))
    return float(v[min(idx, len(v) - 1)])


class _Builder:
    """Collects one window's figures; a window without decisions gets values of None."""

    def __init__(self, has_data: bool, currency: str) -> None:
        self.figs: dict[str, Figure] = {}
        self.has_data = has_data
        self.currency = currency

    def add(self, key: str, value: float | None, formula: str, inputs: dict[str, Any], basis: str = "",
            unreadable: str = "") -> None:
        self.figs[key] = Figure(key, value if self.has_data else None, formula, inputs, basis,
                                unreadable=unreadable if self.has_data else "")

    def money(self, value: float) -> str:
        return format_value(value, "money", self.currency)


def compute_window_figures(w: WindowData, ctx: ImpactContext, a: BusinessAssumptions, period: Period,
                           targets: Targets, prev_approved_amount: float | None = None) -> dict[str, Figure]:
    """The figures of one window (without previous values, targets or statuses)."""
    m = _money(w.scores, a)
    b = _Builder(m.n_decided > 0, a.currency)
    _responsibility(b, w, ctx, a, period, m)
    _cash(b, ctx, a, m)
    _labor_and_time(b, w, a, m)
    _profit(b, w, a, m)
    _growth(b, a, m, prev_approved_amount)
    _utilization(b, w, a, m, covered_days(w, period))
    return b.figs


def _responsibility(b: _Builder, w: WindowData, ctx: ImpactContext, a: BusinessAssumptions, period: Period,
                    m: _Money) -> None:
    rates = compute_group_rates(w.groups, a.min_group_size)
    air = compute_adverse_impact(rates, a.min_group_size)
    air_inputs: dict[str, Any] = {"approval rate by group": air.rates, "smallest group counted": a.min_group_size,
                                  "groups left out (too few decided applications, or unknown)": air.left_out}
    if air.attribute is not None:
        air_inputs["attribute with the widest gap"] = f"{air.attribute} (least approved: {air.group})"
    else:
        air_inputs["note"] = air.reason
    b.add("adverse_impact_ratio", air.value,
          "for each protected attribute: min(group approval rate) / max(group approval rate), over groups "
          f"with at least {a.min_group_size} decided applications (numeric attributes in bands); the smallest "
          "ratio over attributes",
          {**air_inputs, "decided applications": m.n_decided, "model": ctx.model_id},
          unreadable="" if air.value is not None else air.reason)
    period_overrides = [e for e in ctx.overrides if (d := override_day(e)) is not None
                        and period.start <= d <= period.end
                        and e.get("model_id") in (None, "", ctx.model_id)]
    override_declines = [e for e in period_overrides if override_outcome(e) == "decline"]
    with_reason = sum(1 for e in override_declines if override_reason(e))
    declines = m.n_decline + len(override_declines)
    explained = (m.n_decline if ctx.card_has_reasons else 0) + with_reason
    b.add("declines_with_reasons", explained / declines if declines else None,
          "(automated declines with reason codes + officer declines whose override records a reason) / "
          "(automated declines + officer declines)",
          {"automated declines": m.n_decline,
           "reason codes for automated declines": "yes: the model card has a plain-language reason for "
           "every feature" if ctx.card_has_reasons else "no: the model card lacks reason templates",
           "officer declines (overrides)": len(override_declines), "officer declines with a reason": with_reason})
    b.add("override_rate", len(period_overrides) / m.n_decided if m.n_decided else None,
          "overrides recorded for decisions of the period / decided applications",
          {"overrides": len(period_overrides), "decided applications": m.n_decided})
    cur_hist = np.zeros(SCORE_BINS)
    if not w.scores.empty:
        np.add.at(cur_hist, w.scores["bin"].to_numpy(dtype=int).clip(0, SCORE_BINS - 1),
                  w.scores["n"].to_numpy(dtype=float))
    psi = decile_psi(ctx.reference_hist, cur_hist)
    b.add("score_psi", psi,
          "PSI = sum over 10 reference deciles of (current share - reference share) x ln(current / reference)",
          {"reference": ctx.reference_label, "reference applications": int(ctx.reference_hist.sum()),
           "period applications": int(cur_hist.sum()), "drift status": "n/a" if psi is None else psi_status(psi)})


def _cash(b: _Builder, ctx: ImpactContext, a: BusinessAssumptions, m: _Money) -> None:
    avoided = m.avoided_loss_expected - m.extra_loss_realized - m.extra_loss_expected
    b.add("losses_avoided", avoided,
          "losses of applicants the baseline approves and the policy does not  -  losses of applicants the "
          "policy approves and the baseline declines (realized where matured, else PD x LGD x average amount)",
          {"baseline policy": f"approve when champion score < {a.baseline_cutoff:g}",
           "policy in force now (the period's decisions are taken as logged)": _policy_text(ctx),
           "losses avoided (baseline approves, policy declines)": b.money(m.avoided_loss_expected),
           "extra losses taken, realized": b.money(m.extra_loss_realized),
           "extra losses taken, expected": b.money(m.extra_loss_expected),
           **m.extra_basis.inputs(a, a.currency)},
          basis=f"realized {b.money(-m.extra_loss_realized)}, expected "
                f"{b.money(m.avoided_loss_expected - m.extra_loss_expected)}")


def _labor_and_time(b: _Builder, w: WindowData, a: BusinessAssumptions, m: _Money) -> None:
    hours = (m.n_decided * a.manual_minutes_per_application - m.n_review * a.minutes_per_review) / 60
    b.add("hours_saved", hours,
          "(decided applications x manual minutes per application - reviews x minutes per review) / 60",
          {"decided applications": m.n_decided, "manual minutes per application": a.manual_minutes_per_application,
           "reviews": m.n_review, "minutes per review": a.minutes_per_review})
    b.add("review_queue", float(m.n_review), "applications with decision 'review' in the period",
          {"reviews": m.n_review, "share of decided": f"{m.n_review / m.n_decided:.1%}" if m.n_decided else "n/a"})
    n_auto = m.n_approve + m.n_decline
    manual_s = a.manual_turnaround_hours * 3600
    lat = w.latency
    if not lat.empty and lat["n"].sum() > 0 and n_auto > 0:
        lat_s = latency_bin_value(lat["bin"].to_numpy()) / 1000
        auto_values = a.automated_turnaround_seconds + lat_s
        auto_weights = lat["n"].to_numpy(dtype=float) / lat["n"].sum() * n_auto
        latency_note = (f"measured scoring latency of {int(lat['n'].sum()):,} scores (the middle of its bin, "
                        "within 0.6%)")
    else:
        auto_values, auto_weights = np.array([a.automated_turnaround_seconds]), np.array([float(n_auto)])
        latency_note = "no latency logged: the assumption alone"
    values = np.concatenate([auto_values, [manual_s]])
    weights = np.concatenate([auto_weights, [float(m.n_review)]])
    time_inputs = {"automatic decisions": n_auto, "reviews (manual turnaround)": m.n_review,
                   "pipeline time of an automatic decision (assumption)": f"{a.automated_turnaround_seconds:g} s",
                   "scoring latency": latency_note,
                   "manual baseline": f"{a.manual_turnaround_hours:g} h for every application"}
    med, p95 = weighted_quantile(values, weights, 0.5), weighted_quantile(values, weights, 0.95)
    time_formula = ("{q} of the decision times, where an automatic decision takes the pipeline time + its "
                    "scoring latency and a review takes the manual turnaround")
    b.add("median_turnaround", med, time_formula.format(q="median"),
          {**time_inputs, "times faster than manual": f"{manual_s / med:,.0f}x" if med else "n/a"})
    b.add("p95_turnaround", p95, time_formula.format(q="95th percentile"),
          {**time_inputs, "times faster than manual": f"{manual_s / p95:,.0f}x" if p95 else "n/a"})


def _profit(b: _Builder, w: WindowData, a: BusinessAssumptions, m: _Money) -> None:
    income = m.income_realized + m.income_expected
    losses = m.realized_loss + m.expected_loss
    op_costs = w.predictions_all_models * a.cost_per_prediction + m.n_review * a.cost_per_review
    b.add("net_contribution", income - losses - op_costs,
          "interest income on good approved loans (amount x margin x term) - credit losses on approved "
          "loans - (scores x cost per prediction + reviews x cost per review)",
          {"interest income, matured good loans": b.money(m.income_realized),
           "interest income, expected on unmatured loans": b.money(m.income_expected),
           "credit losses, realized": b.money(m.realized_loss),
           "credit losses, expected": b.money(m.expected_loss),
           "operating costs": b.money(op_costs),
           "scores by all models": w.predictions_all_models, "cost per prediction": a.cost_per_prediction,
           "reviews": m.n_review, "cost per review": a.cost_per_review,
           "interest margin x term": f"{a.interest_margin:g} x {a.average_term_years:g} years",
           **m.approved_basis.inputs(a, a.currency)},
          basis=f"realized {b.money(m.income_realized - m.realized_loss)}, expected "
                f"{b.money(m.income_expected - m.expected_loss)}, costs {b.money(op_costs)}")


def _growth(b: _Builder, a: BusinessAssumptions, m: _Money, prev_approved_amount: float | None) -> None:
    b.add("approved_amount", m.approved_amount,
          "amounts of matured approved loans (the assumed average where an outcome has no amount) + "
          "unmatured approved loans x the assumed average amount",
          {"approved applications": m.n_approve, "matured approved loans": m.matured_approved,
           "their amount": b.money(m.approved_matured_amount),
           "amount per unmatured loan (assumption average_amount)": b.money(a.average_amount),
           **m.approved_basis.inputs(a, a.currency)})
    b.add("approved_count", float(m.n_approve), "applications with decision 'approve'",
          {"approved": m.n_approve, "decided": m.n_decided,
           "approval rate": f"{m.n_approve / m.n_decided:.1%}" if m.n_decided else "n/a"})
    growth = (m.approved_amount / prev_approved_amount - 1) if prev_approved_amount else None
    b.add("approved_amount_growth", growth, "approved amount / approved amount of the previous period - 1",
          {"approved amount": b.money(m.approved_amount),
           "previous period": b.money(prev_approved_amount) if prev_approved_amount else "no data"})
    b.add("extra_good_approved", m.extra_good,
          "approved applicants with score >= baseline cutoff: matured goods + unmatured x (1 - PD)",
          {"baseline cutoff": f"{a.baseline_cutoff:g}", "matured goods": m.extra_good_matured,
           "expected goods among unmatured": f"{m.extra_good - m.extra_good_matured:,.1f}"},
          basis=f"realized {m.extra_good_matured:,}, expected {m.extra_good - m.extra_good_matured:,.1f}")


def _utilization(b: _Builder, w: WindowData, a: BusinessAssumptions, m: _Money, days: int) -> None:
    capital = a.capital_available * days / 365
    deployed = m.approved_amount / capital if capital else None
    unreadable = ""
    if deployed is not None and deployed > 1:
        # More lent than there is capital: the assumption does not fit this portfolio, so the
        # figure cannot be read as good (or bad) use of capital.
        unreadable = (f"the approved amount is {deployed:.1f} times the capital available for the period: "
                      "check the [capital] available assumption in business.toml")
    elif not capital:
        unreadable = "no capital available is set ([capital] available in business.toml)"
    b.add("capital_utilization", deployed,
          "approved amount / (capital available per year x days of data in the period / 365)",
          {"approved amount": b.money(m.approved_amount), "capital available per year": b.money(a.capital_available),
           "days of data in the period": days}, unreadable=unreadable)
    capacity = a.serving_capacity_per_second * 86_400
    b.add("serving_capacity_used", w.busiest_day_predictions / capacity if capacity else None,
          "scores by all models on the busiest day / (capacity per second x 86,400 s)",
          {"scores on the busiest day": w.busiest_day_predictions,
           "capacity per second": a.serving_capacity_per_second})


def _policy_text(ctx: ImpactContext) -> str:
    text = f"decline when score >= {ctx.policy_cutoff:g}"
    if ctx.policy_review_from is not None:
        text += f", review from {ctx.policy_review_from:g}"
    return text


def covered_days(w: WindowData, period: Period) -> int:
    """Days of the period inside the model's data span (a partial month counts its covered days)."""
    if w.first_date is None or w.last_date is None:
        return period.days
    lo, hi = max(period.start, w.first_date), min(period.end, w.last_date)
    return max((hi - lo).days + 1, 0) if hi >= lo else period.days
