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

import datetime as dt
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.binning import SCORE_BINS, latency_bin_upper
from dashboard.analytics.drift import psi_status
from dashboard.analytics.fairness import compute_adverse_impact, compute_group_rates
from dashboard.analytics.histogram import decile_psi
from dashboard.analytics.money import Money, MoneyBasis, MoneySums, compute_money
from dashboard.analytics.periods import (  # noqa: F401  (re-exported: callers import periods from here)
    Period,
    PeriodError,
    custom_period,
    month_period,
    months_between,
    parse_period,
    previous_period,
    quarter_period,
)

DAYS_PER_MONTH = 30.4375      # amount, hour and count targets are per month of this length
REFERENCE_MONTHS = 3          # drift reference: the model's first months of scoring
NOT_READABLE = "n/a"          # a status for a figure that has a value that cannot be read as good or bad
STATUSES = ("on track", "at risk", "off track", NOT_READABLE, "no target", "no data")
DECIDED = ("approve", "decline", "review")


# A period or a targets file that cannot be used; the message says what to fix. Periods live in
# analytics.periods; one exception type for both keeps every `except ImpactError` catching both.
ImpactError = PeriodError


# --------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Target:
    target: float
    at_risk: float     # the edge of the "at risk" band beyond the target


@dataclass(frozen=True)
class Targets:
    by_figure: dict[str, Target] = field(default_factory=dict)
    problems: tuple[str, ...] = ()   # bad or unknown entries, each a readable message


@dataclass(frozen=True)
class FigureSpec:
    key: str
    point: str
    label: str
    unit: str            # money | hours | count | ratio | share | seconds | index
    higher_is_better: bool
    definition: str


POINTS: dict[str, tuple[str, str]] = {
    "responsibility": ("Responsibility", "Are decisions fair, explained, overseen and made on data the model knows?"),
    "cash": ("Cash", "Credit losses the model's policy avoids compared with the baseline policy."),
    "labor": ("Labor", "Officer time saved by automatic decisions, and the work still waiting for people."),
    "time": ("Time", "How fast an applicant gets a decision, compared with fully manual underwriting."),
    "profit": ("Profit/Cost", "What the approved loans earn after credit losses and running costs."),
    "growth": ("Growth", "How much lending the policy approves, and good customers the baseline would have lost."),
    "utilization": ("Utilization of Assets", "How much of the lending capital and serving capacity is put to work."),
}

FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("adverse_impact_ratio", "responsibility", "Adverse impact ratio", "ratio", True,
               "Approval rate of the least approved group over that of the most approved group, for the "
               "protected attribute where the gap is widest (1.0 = equal; below 0.8 fails the four-fifths rule)."),
    FigureSpec("declines_with_reasons", "responsibility", "Declines with recorded reasons", "share", True,
               "Share of declined applications for which the applicant can be told why."),
    FigureSpec("override_rate", "responsibility", "Override rate", "share", False,
               "Share of decisions a credit officer changed."),
    FigureSpec("score_psi", "responsibility", "Score drift (PSI)", "index", False,
               "How far this period's score distribution moved from the model's first months "
               "(below 0.10 stable, 0.10 to 0.25 watch, above 0.25 shifted: the Drift page's bands)."),
    FigureSpec("losses_avoided", "cash", "Credit losses avoided", "money", True,
               "Losses the baseline policy would have taken minus the losses the model's policy takes. "
               "Negative when the policy accepts more risk than the baseline to grow."),
    FigureSpec("hours_saved", "labor", "Officer hours saved", "hours", True,
               "Hours officers would spend underwriting every application by hand, minus the hours "
               "they spend on the applications sent to review."),
    FigureSpec("review_queue", "labor", "Sent to review", "count", False,
               "Applications the policy sent to an officer in the period."),
    FigureSpec("median_turnaround", "time", "Median decision time", "seconds", False,
               "Half of the applicants got their decision within this time."),
    FigureSpec("p95_turnaround", "time", "95th percentile decision time", "seconds", False,
               "95 of 100 applicants got their decision within this time."),
    FigureSpec("net_contribution", "profit", "Net contribution", "money", True,
               "Interest earned on good approved loans minus credit losses minus operating costs "
               "(scoring and manual reviews)."),
    FigureSpec("approved_amount", "growth", "Approved amount", "money", True,
               "Money lent on the applications approved in the period."),
    FigureSpec("approved_count", "growth", "Approved applications", "count", True,
               "Applications approved in the period."),
    FigureSpec("approved_amount_growth", "growth", "Growth of approved amount", "share", True,
               "Change of the approved amount against the previous period."),
    FigureSpec("extra_good_approved", "growth", "Good applicants the baseline would have declined", "count", True,
               "Approved applicants who repay (or are expected to) and whom the baseline policy would have declined."),
    FigureSpec("capital_utilization", "utilization", "Capital deployed", "share", True,
               "Approved amount over the lending capital available for the period."),
    FigureSpec("serving_capacity_used", "utilization", "Serving capacity used", "share", False,
               "Scoring load on the busiest day over what the serving system can take."),
)
SPECS: dict[str, FigureSpec] = {s.key: s for s in FIGURES}
HEADLINE: dict[str, str] = {"responsibility": "adverse_impact_ratio", "cash": "losses_avoided",
                            "labor": "hours_saved", "time": "median_turnaround", "profit": "net_contribution",
                            "growth": "approved_amount", "utilization": "capital_utilization"}
SCALED_UNITS = ("money", "hours", "count")   # targets for these are per month and scale with the period


def parse_targets(data: Mapping[str, Any], source: str = "impact targets") -> Targets:
    """Targets by figure key; bad entries are left out and reported in `problems` (never raised),
    so one bad value costs its status, not the page."""
    problems: list[str] = []
    settings = data.get("settings", {})
    if isinstance(settings, dict) and "min_group_size" in settings:
        # One minimum group size for every page: it lives with the business assumptions.
        problems.append(f"{source}: [settings] min_group_size is ignored here: set [fairness] "
                        "min_group_size in business.toml (it applies to every page and report)")
    targets: dict[str, Target] = {}
    raw = data.get("targets", {})
    if not isinstance(raw, dict):
        problems.append(f"{source}: [targets] must be a table of figures")
        raw = {}
    for key, entry in raw.items():
        spec = SPECS.get(key)
        where = f"{source}: [targets.{key}]"
        if spec is None:
            problems.append(f"{where} is not a scorecard figure (known: {', '.join(SPECS)})")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where} must have target and at_risk")
            continue
        values = {}
        for name in ("target", "at_risk"):
            value = entry.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append(f"{where} {name} must be a number, got {value!r}")
                break
            values[name] = float(value)
        else:
            target, at_risk = values["target"], values["at_risk"]
            if spec.higher_is_better and at_risk > target:
                problems.append(f"{where} higher is better, so at_risk ({at_risk:g}) must not be above "
                                f"target ({target:g})")
            elif not spec.higher_is_better and at_risk < target:
                problems.append(f"{where} lower is better, so at_risk ({at_risk:g}) must not be below "
                                f"target ({target:g})")
            elif spec.unit in ("share", "ratio") and spec.key != "approved_amount_growth" and \
                    not (0 <= target <= 1 and 0 <= at_risk <= 1):
                problems.append(f"{where} is a fraction: target and at_risk must be between 0 and 1")
            else:
                targets[key] = Target(target, at_risk)
    return Targets(targets, tuple(problems))


def parse_targets_toml(text: str, source: str = "impact targets") -> Targets:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Targets(problems=(f"{source}: not valid TOML ({exc}); no targets are applied",))
    return parse_targets(data, source)


def scaled_target(target: Target, spec: FigureSpec, days: int) -> Target:
    """Per-month amount/hour/count targets, scaled to a period of `days` days."""
    if spec.unit not in SCALED_UNITS:
        return target
    k = days / DAYS_PER_MONTH
    return Target(target.target * k, target.at_risk * k)


def compute_status(value: float | None, target: Target | None, higher_is_better: bool,
                   unreadable: str = "") -> str:
    """on track / at risk / off track against the target; "n/a" when `unreadable` gives a reason."""
    if unreadable:
        return NOT_READABLE
    if value is None:
        return "no data"
    if target is None:
        return "no target"
    if higher_is_better:
        return "on track" if value >= target.target else "at risk" if value >= target.at_risk else "off track"
    return "on track" if value <= target.target else "at risk" if value <= target.at_risk else "off track"


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


def override_day(event: Mapping[str, Any]) -> dt.date | None:
    """The day a recorded override counts for: the original decision's time if the event names
    it, else when it was recorded."""
    for key in ("decided_at", "at"):
        value = event.get(key)
        if value:
            try:
                return pd.Timestamp(value).date()
            except (ValueError, TypeError):
                continue
    return None


def override_outcome(event: Mapping[str, Any]) -> str | None:
    for key in ("to_decision", "new_decision", "decision"):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def override_reason(event: Mapping[str, Any]) -> str:
    for key in ("reason", "rationale", "note", "comment"):
        value = event.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


# --------------------------------------------------------------------------- figures
@dataclass
class Figure:
    key: str
    value: float | None
    formula: str
    inputs: dict[str, Any]
    basis: str = ""                 # e.g. which part is realized and which expected
    previous: float | None = None
    target: Target | None = None
    status: str = "no data"
    unreadable: str = ""            # why the value cannot be judged (status "n/a"); empty when it can

    @property
    def spec(self) -> FigureSpec:
        return SPECS[self.key]

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class Scorecard:
    period: Period
    previous_period: Period
    model_id: str
    figures: dict[str, Figure]
    notes: list[str] = field(default_factory=list)
    currency: str = ""

    def point_status(self, point: str) -> str:
        """The worst status among the point's figures that have a target."""
        statuses = [f.status for f in self.figures.values() if f.spec.point == point]
        for status in ("off track", "at risk", "on track", NOT_READABLE):
            if status in statuses:
                return status
        return "no data" if all(s == "no data" for s in statuses) else "no target"

    def point_figures(self, point: str) -> list[Figure]:
        return [self.figures[s.key] for s in FIGURES if s.point == point]


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
    _utilization(b, w, a, m, _covered_days(w, period))
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
        lat_s = latency_bin_upper(lat["bin"].to_numpy()) / 1000
        auto_values = a.automated_turnaround_seconds + lat_s
        auto_weights = lat["n"].to_numpy(dtype=float) / lat["n"].sum() * n_auto
        latency_note = f"measured scoring latency of {int(lat['n'].sum()):,} scores (upper edge of its bin)"
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


def _covered_days(w: WindowData, period: Period) -> int:
    """Days of the period inside the model's data span (a partial month counts its covered days)."""
    if w.first_date is None or w.last_date is None:
        return period.days
    lo, hi = max(period.start, w.first_date), min(period.end, w.last_date)
    return max((hi - lo).days + 1, 0) if hi >= lo else period.days


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
    days = _covered_days(current, period)
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


# --------------------------------------------------------------------------- output
def format_value(value: float | None, unit: str, currency: str = "") -> str:
    """A figure as people read it; money carries the lender's `currency` code."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    if unit in ("money", "hours", "count"):
        value = round(value)  # whole units: -0.3 and -0.0 are shown as 0, not "-0"
    if unit == "money":
        code = f"{currency} " if currency else ""
        return f"-{code}{-value:,.0f}" if value < 0 else f"{code}{value:,.0f}"
    if unit == "hours":
        return f"{value:,.0f} h"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "share":
        return f"{value:.1%}" if value == 0 or abs(value) >= 0.01 else f"{value:.3%}"
    if unit == "seconds":
        return f"{value / 3600:,.1f} h" if value >= 3600 else f"{value:,.2f} s"
    return f"{value:.3f}"


def format_compact(value: float | None, unit: str, currency: str = "") -> str:
    """Short numbers for dense tables and axes (CHF 17.9M, 9.4k h, 12.0k)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit in ("money", "hours", "count") and abs(value) >= 10_000:
        # the scale after rounding: 999,950 is 1.0M, not 1000.0k
        scaled, suffix = (value / 1e6, "M") if abs(value) >= 999_950 else (value / 1e3, "k")
        text = f"{abs(scaled):.1f}{suffix}"
        sign = "-" if value < 0 else ""
        code = f"{currency} " if currency else ""
        return {"money": f"{sign}{code}{text}", "hours": f"{sign}{text} h"}.get(unit, f"{sign}{text}")
    return format_value(value, unit, currency)


def format_change(f: Figure, currency: str = "") -> str | None:
    change = f.change
    if change is None:
        return None
    unit = f.spec.unit
    if unit == "share":
        return f"{change * 100:+.1f} pts" if change == 0 or abs(change) >= 0.001 else f"{change * 100:+.4f} pts"
    if unit in ("ratio", "index"):
        return f"{change:+.3f}"
    if unit == "seconds":
        return f"{change:+,.2f} s"
    text = format_value(abs(change), unit, currency)
    return ("-" if round(change) < 0 else "+") + text  # a change of -0.3 is "+CHF 0", not "-CHF 0"


def format_target(f: Figure, currency: str = "") -> str:
    if f.target is None:
        return "not set"
    sign = ">=" if f.spec.higher_is_better else "<="
    return f"{sign} {format_value(f.target.target, f.spec.unit, currency)} (at risk {sign} " \
           f"{format_value(f.target.at_risk, f.spec.unit, currency)})"


def scorecard_rows(card: Scorecard) -> list[dict[str, Any]]:
    """One flat row per figure: the CSV and JSON export."""
    rows = []
    for point, (title, _) in POINTS.items():
        for f in card.point_figures(point):
            rows.append({
                "period": card.period.label, "previous_period": card.previous_period.label,
                "model_id": card.model_id, "point": title, "figure": f.key, "label": f.spec.label,
                "unit": f.spec.unit, "currency": card.currency if f.spec.unit == "money" else None,
                "value": f.value, "previous": f.previous, "change": f.change,
                "target": f.target.target if f.target else None,
                "at_risk": f.target.at_risk if f.target else None,
                "higher_is_better": f.spec.higher_is_better, "status": f.status,
                "status_reason": f.unreadable or None,
                "point_status": card.point_status(point), "definition": f.spec.definition,
                "formula": f.formula, "basis": f.basis,
                "inputs": "; ".join(f"{k}: {format_input(v)}" for k, v in f.inputs.items()),
            })
    return rows


def format_input(value: Any) -> str:
    """An input of a figure as text: mappings inline, whole numbers with thousands separators."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_input(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)


def scorecard_frame(card: Scorecard) -> pd.DataFrame:
    return pd.DataFrame(scorecard_rows(card))


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return {"period": card.period.label, "start": str(card.period.start), "end": str(card.period.end),
            "previous_period": card.previous_period.label, "model_id": card.model_id, "currency": card.currency,
            "notes": card.notes,
            "points": {point: {"title": title, "definition": text, "status": card.point_status(point),
                               "figures": [{k: clean(v) for k, v in row.items()
                                            if k not in ("period", "previous_period", "model_id", "point")}
                                           | {"inputs": card.figures[row["figure"]].inputs}
                                           for row in scorecard_rows(card) if row["point"] == title]}
                       for point, (title, text) in POINTS.items()}}

