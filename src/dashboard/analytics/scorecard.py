"""The scorecard's frame: the seven points and their figures, targets and statuses, and how a
figure is shown and exported (pure). `analytics.impact` computes the values.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.periods import Period

DAYS_PER_MONTH = 30.4375      # amount, hour and count targets are per month of this length
NOT_READABLE = "n/a"          # a status for a figure that has a value that cannot be read as good or bad
STATUSES = ("on track", "at risk", "off track", NOT_READABLE, "no target", "no data")

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
