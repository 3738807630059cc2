"""Principal reasons in plain language, in the style of adverse-action notices.

Built from the model card's reason templates, the applicant's value and how it compares
with approved applicants. Protected attributes and personal columns are never reasons.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dashboard.models.card import FeatureSpec, ModelCard

TOP_REASONS = 4
ADVERSE = ("decline", "review")


@dataclass(frozen=True)
class Reason:
    feature: str
    text: str            # the full sentence shown to the officer
    contribution: float  # attribution on the explanation's scale (positive raises the risk)
    value_text: str
    comparison: str      # "" when there is nothing to compare with

# ISO 4217 codes a card's feature description may name as the unit of an amount.
CURRENCY_CODES = frozenset(
    ["AED", "ARS", "AUD", "BGN", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK", "EGP", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JPY", "KES", "KRW", "MAD", "MXN", "MYR", "NGN", "NOK", "NZD", "PEN", "PHP", "PKR", "PLN", "RON", "RSD", "RUB", "SAR", "SEK", "SGD", "THB", "TRY", "TWD", "UAH", "USD", "VND", "ZAR"])


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def compute_value_text(spec: FeatureSpec, value: Any) -> str:
    """The applicant's value as a person reads it: 48%, CHF 12,300, 36, rent."""
    if is_missing(value):
        return "not provided"
    if spec.type != "numeric":
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    # An amount: the card's description names its currency (e.g. "Gross annual income in CHF").
    code = next((w for w in re.findall(r"\b[A-Z]{3}\b", spec.description) if w in CURRENCY_CODES), None)
    if code:
        return f"{code} {number:,.0f}"
    ratio = spec.max is not None and spec.max <= 1.5 and (spec.min is None or spec.min >= 0)
    if ratio and not float(number).is_integer():
        return f"{number:.0%}"
    if float(number).is_integer():
        return f"{number:,.0f}"
    return f"{number:,.4g}"


def compute_comparison(spec: FeatureSpec, value: Any, approved: pd.Series | None) -> str:
    """'higher than 91% of approved applicants' (numeric) or the share with the same value."""
    if approved is None:
        return ""
    known = approved.dropna()
    if known.empty:
        return ""
    if is_missing(value):
        share = 1 - len(known) / len(approved)
        return f"not provided by {share:.0%} of approved applicants"
    if spec.type == "numeric":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return ""
        numbers = pd.to_numeric(known, errors="coerce").dropna().to_numpy(dtype=float)
        if numbers.size == 0:
            return ""
        below = float(np.mean(numbers < number))
        above = float(np.mean(numbers > number))
        if below >= above:
            return f"higher than {below:.0%} of approved applicants"
        return f"lower than {above:.0%} of approved applicants"
    share = float((known.astype(str) == str(value)).mean())
    if share == 0:
        return "shared by none of the approved applicants"
    return f"shared by {'under 1%' if share < 0.005 else f'{share:.0%}'} of approved applicants"


def compute_reason_text(spec: FeatureSpec, value_text: str, comparison: str) -> str:
    template = spec.reason_template or f"{spec.description or spec.name}: {{value}}"
    if value_text == "not provided":  # "Savings of not provided" would read badly
        template = f"{spec.description or spec.name}: {{value}}"
    # replace, not str.format: a template's other braces must not break the sentence
    text = template.replace("{value}", value_text) if "{value}" in template else f"{template}: {value_text}"
    return f"{text} ({comparison})" if comparison else text


def excluded_names(card: ModelCard) -> set[str]:
    """Columns that may never be given as a reason."""
    return {n.lower() for n in (*card.protected_attributes, *card.personal_columns)}


def compute_reasons(contributions: pd.Series, applicant: pd.Series | dict[str, Any], card: ModelCard,
                    decision: str | None, approved: pd.DataFrame | None = None,
                    top: int = TOP_REASONS) -> list[Reason]:
    """Top reasons for a decline or review (features raising the risk most) or, for an
    approval, the main supporting factors (features lowering it most)."""
    banned = excluded_names(card)
    adverse = decision in ADVERSE
    known = {f.name: f for f in card.features}
    rows = []
    for name, contribution in contributions.items():
        value = float(contribution)
        if name not in known or str(name).lower() in banned or not math.isfinite(value):
            continue
        if (adverse and value > 0) or (not adverse and value < 0):
            rows.append((str(name), value))
    rows.sort(key=lambda r: -abs(r[1]))
    reasons = []
    for name, value in rows[:top]:
        spec = known[name]
        raw = applicant.get(name) if isinstance(applicant, dict) else applicant.get(name, None)
        value_text = compute_value_text(spec, raw)
        column = approved[name] if approved is not None and name in approved.columns else None
        comparison = compute_comparison(spec, raw, column)
        reasons.append(Reason(feature=name, text=compute_reason_text(spec, value_text, comparison),
                              contribution=value, value_text=value_text, comparison=comparison))
    return reasons
