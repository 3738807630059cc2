"""Business assumptions: parsed and validated from a TOML mapping (no file access here)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, fields
from typing import Any

from dashboard.errors import DashboardError

DEFAULT_CURRENCY = "EUR"
DEFAULT_MIN_GROUP_SIZE = 30
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class AssumptionsError(DashboardError, ValueError):
    """Bad values in the business configuration, each named with its section and key."""


@dataclass(frozen=True)
class BusinessAssumptions:
    average_amount: float = 12000.0
    interest_margin: float = 0.065
    average_term_years: float = 3.0
    loss_given_default: float = 0.55
    minutes_per_review: float = 25.0
    cost_per_review: float = 22.0
    cost_per_prediction: float = 0.015
    manual_minutes_per_application: float = 35.0
    manual_turnaround_hours: float = 48.0
    automated_turnaround_seconds: float = 2.0
    baseline_cutoff: float = 0.10
    capital_available: float = 600_000_000.0
    serving_capacity_per_second: float = 60.0
    # Share of review-band applications an officer approves (threshold levers); not in the
    # sample TOML, so the default applies unless [review] approval_share is set.
    review_approval_share: float = 0.5
    # The lender's currency (ISO 4217 code): every amount in the store and the config is in it.
    currency: str = DEFAULT_CURRENCY
    # Decided applications a protected group needs in a window before it enters a fairness ratio.
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def numbers(self) -> dict[str, float]:
        """The numeric assumptions (money, rates, times), without the currency and group size."""
        return {k: float(v) for k, v in asdict(self).items() if k in KEYS}


# TOML (section, key) for each field.
KEYS: dict[str, tuple[str, str]] = {
    "average_amount": ("loan", "average_amount"),
    "interest_margin": ("loan", "interest_margin"),
    "average_term_years": ("loan", "average_term_years"),
    "loss_given_default": ("loan", "loss_given_default"),
    "minutes_per_review": ("review", "minutes_per_review"),
    "cost_per_review": ("review", "cost_per_review"),
    "cost_per_prediction": ("operations", "cost_per_prediction"),
    "manual_minutes_per_application": ("operations", "manual_minutes_per_application"),
    "manual_turnaround_hours": ("operations", "manual_turnaround_hours"),
    "automated_turnaround_seconds": ("operations", "automated_turnaround_seconds"),
    "baseline_cutoff": ("baseline", "cutoff"),
    "capital_available": ("capital", "available"),
    "serving_capacity_per_second": ("serving", "capacity_per_second"),
    "review_approval_share": ("review", "approval_share"),
}
FRACTIONS = {"interest_margin", "loss_given_default", "baseline_cutoff", "review_approval_share"}
# Settings that are not amounts: (section, key) for each.
SETTING_KEYS: dict[str, tuple[str, str]] = {
    "currency": ("money", "currency"),
    "min_group_size": ("fairness", "min_group_size"),
}


def _parse_settings(data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (section, key) in SETTING_KEYS.items():
        sect = data.get(section, {})
        if not isinstance(sect, dict) or key not in sect:
            continue
        value = sect[key]
        if name == "currency":
            if not isinstance(value, str) or not _CURRENCY_RE.match(value.strip().upper()):
                problems.append(f"[{section}] {key} must be a three-letter currency code such as "
                                f"EUR, USD or CHF, got {value!r}")
                continue
            values[name] = value.strip().upper()
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"[{section}] {key} must be a whole number of at least 1, got {value!r}")
        else:
            values[name] = value
    return values


def parse_assumptions(data: dict[str, Any], source: str = "business config",
                      overrides: dict[str, Any] | None = None) -> BusinessAssumptions:
    """Defaults, then the file's values, then `overrides` (flat field names)."""
    values: dict[str, Any] = {}
    problems = []
    for name, (section, key) in KEYS.items():
        sect = data.get(section, {})
        if isinstance(sect, dict) and key in sect:
            values[name] = sect[key]
    for name, value in (overrides or {}).items():
        if name not in KEYS:
            problems.append(f"unknown assumption {name!r}")
        else:
            values[name] = value
    for name, value in values.items():
        section, key = KEYS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"[{section}] {key} must be a number, got {value!r}")
        elif value < 0:
            problems.append(f"[{section}] {key} must not be negative, got {value}")
        elif name in FRACTIONS and value > 1:
            problems.append(f"[{section}] {key} is a fraction between 0 and 1, got {value}")
    settings = _parse_settings(data, problems)
    if problems:
        raise AssumptionsError(f"{source}: " + "; ".join(problems))
    known = {f.name for f in fields(BusinessAssumptions)}
    given: dict[str, Any] = {k: float(v) for k, v in values.items() if k in known}
    return BusinessAssumptions(**given, **settings)


def parse_assumptions_toml(text: str, source: str = "business config",
                           overrides: dict[str, Any] | None = None) -> BusinessAssumptions:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AssumptionsError(f"{source}: not valid TOML: {exc}") from None
    return parse_assumptions(data, source, overrides)
