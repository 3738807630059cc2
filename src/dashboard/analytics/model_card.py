"""A model card with its live facts: assembled from rollups, exported as Markdown (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.comparison import compute_psi_by_month
from dashboard.analytics.drift_thresholds import psi_status
from dashboard.analytics.fairness import FOUR_FIFTHS, compute_adverse_impact
from dashboard.analytics.histogram import (
    auc_from_histogram,
    brier_from_histogram,
    ks_from_histogram,
)
from dashboard.analytics.policy import Policy
from dashboard.analytics.thresholds import compute_fairness, make_group_bins
from dashboard.models.card import ModelCard

SCORE_BINS = 1000
GROUP_BINS = 100


@dataclass
class LiveFacts:
    """What the logs say about a model now, beside what its card claims."""

    model_id: str
    role_now: str
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    applications: int = 0
    labelled: int = 0
    bad_rate: float | None = None
    auc: float | None = None
    ks: float | None = None
    brier: float | None = None
    psi: float | None = None
    psi_month: str | None = None
    psi_reference_month: str | None = None
    drift_status: str = "n/a"
    fairness: pd.DataFrame = field(default_factory=pd.DataFrame)
    lowest_air: float | None = None
    min_group_size: int = 0
    policy: dict[str, Any] = field(default_factory=dict)

    @property
    def has_logs(self) -> bool:
        return self.applications > 0


def compute_missing_fields(card: ModelCard) -> list[str]:
    """Card fields a reviewer expects but this card leaves empty."""
    return card.missing_recommended()


def compute_live_facts(card: ModelCard, role_now: str, daily: pd.DataFrame, scores: pd.DataFrame,
                       monthly: pd.DataFrame, groups: pd.DataFrame, policy: Policy,
                       assumptions: BusinessAssumptions) -> LiveFacts:
    """Facts from a model's rollups.

    daily: date, n, n_labelled, n_bad; scores: bin, n, n_labelled, n_bad (1,000 bins);
    monthly: model_id, month, bin, n; groups: attribute, grp, bin, n (100 bins).
    Live metrics use matured outcomes, which exist only for approved applications.
    """
    facts = LiveFacts(model_id=card.id, role_now=role_now, policy=policy.to_dict(),
                      min_group_size=assumptions.min_group_size)
    if daily.empty or int(daily["n"].sum()) == 0:
        return facts
    days = pd.to_datetime(daily["date"])
    facts.first_day, facts.last_day = days.min().date(), days.max().date()
    facts.applications = int(daily["n"].sum())
    facts.labelled = int(daily["n_labelled"].sum())
    facts.bad_rate = float(daily["n_bad"].sum()) / facts.labelled if facts.labelled else None
    if not scores.empty:
        bads = np.bincount(scores["bin"].to_numpy(dtype=int), weights=scores["n_bad"].to_numpy(dtype=float),
                           minlength=SCORE_BINS)[:SCORE_BINS]
        labelled = np.bincount(scores["bin"].to_numpy(dtype=int),
                               weights=scores["n_labelled"].to_numpy(dtype=float), minlength=SCORE_BINS)[:SCORE_BINS]
        goods = labelled - bads
        facts.auc = auc_from_histogram(goods, bads)
        facts.ks = ks_from_histogram(goods, bads)
        facts.brier = brier_from_histogram(np.linspace(0, 1, SCORE_BINS + 1), goods, bads)
    psi = compute_psi_by_month(monthly) if not monthly.empty else pd.DataFrame()
    if len(psi) >= 2:
        last = psi.iloc[-1]
        facts.psi = None if pd.isna(last["psi"]) else float(last["psi"])
        facts.psi_month = pd.Timestamp(last["month"]).strftime("%Y-%m")
        facts.psi_reference_month = pd.Timestamp(psi.iloc[0]["month"]).strftime("%Y-%m")
    facts.drift_status = "n/a" if facts.psi is None else psi_status(facts.psi)
    # The same rule as the Thresholds page at the policy in force (fairness.compute_group_rates).
    group_bins = make_group_bins(groups, list(card.protected_attributes)) if not groups.empty else None
    if group_bins is not None and not group_bins.empty:
        facts.fairness = compute_fairness(group_bins, policy.cutoff, policy.review_from, assumptions)
        facts.lowest_air = compute_adverse_impact(facts.fairness, assumptions.min_group_size).value
    return facts


# ---------------------------------------------------------------------------- Markdown
def _text(value: Any) -> str:
    """Card text as plain text in Markdown: no HTML, no stray markup."""
    out = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in ("\\", "`", "*", "_", "[", "]", "#", "|"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ").strip()


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else format(value, fmt)


def _live_facts_lines(facts: LiveFacts) -> list[str]:
    """The live facts and the policy in force, as Markdown lines."""
    lines: list[str] = []
    lines += ["## Live facts", ""]
    if not facts.has_logs:
        lines += ["No prediction logs for this model yet.", ""]
    else:
        lines += ["| fact | value |", "|---|---|",
                  f"| data window seen | {facts.first_day} to {facts.last_day} |",
                  f"| applications scored | {facts.applications:,} |",
                  f"| matured outcomes (approved loans only) | {facts.labelled:,} |",
                  f"| realized bad rate | {_num(facts.bad_rate, '.2%')} |",
                  f"| live AUC (matured, approved only) | {_num(facts.auc)} |",
                  f"| live KS | {_num(facts.ks)} |",
                  f"| live Brier score | {_num(facts.brier, '.4f')} |",
                  f"| score PSI {facts.psi_month or ''} vs {facts.psi_reference_month or 'first month'} | "
                  f"{_num(facts.psi)} ({facts.drift_status}) |",
                  f"| lowest adverse impact ratio at the policy cutoff | {_num(facts.lowest_air, '.2f')}"
                  f"{' (below four-fifths)' if facts.lowest_air is not None and facts.lowest_air < FOUR_FIFTHS else ''} |"]
        lines.append("")
    pol = facts.policy
    if pol:
        review = f", review from {pol['review_from']:.3f}" if pol.get("review_from") is not None else ""
        lines += ["## Policy in force", "",
                  f"Version {pol.get('version')}: decline at or above {pol.get('cutoff', 0):.3f}{review}; "
                  f"since {pol.get('effective_at') or 'registration (card cutoff)'}; "
                  f"rationale: {_text(pol.get('rationale') or 'none recorded')}.", ""]
    return lines


def compute_card_markdown(card: ModelCard, facts: LiveFacts | None = None,
                          generated: dt.datetime | None = None) -> str:
    """The card and its live facts as a Markdown document."""
    lines = [f"# Model card: {_text(card.name)} (`{card.id}`)", ""]
    stamp = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines += [f"Generated {stamp} from the card file and the live logs.", ""]
    role = facts.role_now if facts else card.role
    lines += ["| field | value |", "|---|---|",
              f"| version | {_text(card.version)} |", f"| role now | {_text(role)} |",
              f"| role in the card | {_text(card.role)} |", f"| algorithm | {_text(card.algorithm)} |",
              f"| owner | {_text(card.owner)} |", f"| target | {_text(card.target)} |",
              f"| cutoff in the card | {card.cutoff:.3f} |"]
    window = card.training_window
    if window:
        lines.append(f"| training window | {_text(window[0])} to {_text(window[1])} |")
    if card.training.get("data"):
        lines.append(f"| training data | {_text(card.training['data'])} |")
    lines.append("")
    lines += ["## Intended use", "", _text(card.intended_use) or "_missing_", "",
              "## Limitations", "", _text(card.limitations) or "_missing_", ""]
    lines += ["## Features", "", "| feature | type | expected direction | description | reason shown |",
              "|---|---|---|---|---|"]
    for f in card.features:
        direction = {1: "higher value, higher risk", -1: "higher value, lower risk"}.get(f.direction or 0, "none")
        lines.append(f"| {_text(f.name)} | {f.type} | {direction} | {_text(f.description) or '_missing_'} | "
                     f"{_text(f.reason_template) or '_missing_'} |")
    lines += ["", "## Protected attributes", "",
              (", ".join(_text(p) for p in card.protected_attributes) or "_none declared_") +
              " (used for fairness checks, never as reasons)", ""]
    if card.validation_metrics:
        lines += ["## Validation metrics (from the card)", "", "| metric | value |", "|---|---|"]
        lines += [f"| {_text(k)} | {v:.4f} |" for k, v in card.validation_metrics.items()]
        lines.append("")
    if facts is not None:
        lines += _live_facts_lines(facts)
    missing = compute_missing_fields(card)
    lines += ["## Missing card fields", ""]
    lines += [f"- {_text(m)}" for m in missing] if missing else ["None: every recommended field is filled in."]
    lines.append("")
    return "\n".join(lines)
