"""The tiny hand-computed Impact store: one model, eleven decisions, five matured loans.

Shared by the analytics, CLI and page tests of Impact, so the hand calculation, the CLI and the
page are checked against the same numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.histogram import decile_psi
from dashboard.models.card import parse_card
from dashboard.store import Store

ROOT = Path(__file__).resolve().parents[2]

TINY_MODEL = "tiny"
TINY_TARGETS = """
[targets.adverse_impact_ratio]
target = 0.8
at_risk = 0.6
[targets.losses_avoided]
target = 0
at_risk = -1000
"""
# The defaults of business.toml (checked below), but groups of any size count: the tiny store's
# groups have four decisions each.
A = BusinessAssumptions(min_group_size=1)
TINY_BUSINESS = (ROOT / "src" / "dashboard" / "config" / "business.toml") \
    .read_text("utf-8").replace("min_group_size = 30", "min_group_size = 1")


def tiny_card() -> dict[str, object]:
    return {
        "id": TINY_MODEL, "name": "Tiny test model", "version": "1.0.0", "role": "champion",
        "algorithm": "hand-written", "owner": "tests", "training": {"window": {"start": "2025-01-01",
                                                                               "end": "2025-12-31"}},
        "target": "label = 1 when the loan defaults",
        "features": [{"name": "x1", "type": "numeric", "description": "a number",
                      "reason_template": "x1 of {value}"}],
        "protected_attributes": ["sex"], "cutoff": 0.2,
    }


# application, timestamp, score (bin midpoints, so PD = score), decision, sex, latency ms
ROWS = [
    ("M1", "2026-03-05 10:00", 0.0505, "approve", "F", 10.0),
    ("M2", "2026-03-06 10:00", 0.1505, "approve", "M", 10.0),
    ("M3", "2026-03-07 10:00", 0.3005, "decline", "F", 10.0),
    ("A1", "2026-04-10 09:00", 0.0505, "approve", "F", 10.0),
    ("A2", "2026-04-10 10:00", 0.0805, "approve", "M", 20.0),
    ("A3", "2026-04-10 11:00", 0.1505, "approve", "F", 30.0),
    ("A4", "2026-04-10 12:00", 0.1205, "approve", "M", 40.0),
    ("A5", "2026-04-11 09:00", 0.0305, "approve", "M", 50.0),
    ("A6", "2026-04-12 09:00", 0.2505, "decline", "F", 60.0),
    ("A7", "2026-04-13 09:00", 0.0905, "decline", "M", 70.0),
    ("A8", "2026-04-30 09:00", 0.1805, "review", "F", 80.0),
]
# application, label, loan amount, loss amount
OUTCOMES = [("M1", 0, 12000.0, 0.0), ("M2", 1, 6000.0, 3000.0), ("A1", 0, 10000.0, 0.0),
            ("A2", 1, 20000.0, 5000.0), ("A3", 0, 8000.0, 0.0)]


def build_tiny_store(root: Path) -> Store:
    """One model, 3 decisions in March 2026 and 8 in April, 5 matured loans, 3 overrides."""
    store = Store(root)
    store.register_model(parse_card(tiny_card(), "tiny"))
    preds = pd.DataFrame(ROWS, columns=["application_id", "timestamp", "score", "decision", "sex", "latency_ms"])
    preds["timestamp"] = pd.to_datetime(preds["timestamp"])
    preds.insert(0, "prediction_id", preds["application_id"] + "-tiny")
    preds.insert(1, "model_id", TINY_MODEL)
    preds["x1"] = np.arange(len(preds), dtype=float)
    store.write_predictions(preds)
    outcomes = pd.DataFrame(OUTCOMES, columns=["application_id", "label", "loan_amount", "loss_amount"])
    outcomes.insert(1, "outcome_timestamp", pd.Timestamp("2026-09-01"))
    store.write_outcomes(outcomes)
    store.rebuild_rollups()
    # Overrides recorded today count for the period of the decision they change (A4, A5: April).
    for app, before, after, reason in (("A4", "approve", "decline", "Income could not be verified"),
                                       ("A5", "approve", "decline", ""),
                                       ("M3", "decline", "approve", "Co-signer added")):
        store.append_event("override", {"application_id": app, "model_id": TINY_MODEL, "from_decision": before,
                                        "to_decision": after, "reason": reason}, actor="officer")
    return store


def _latency_bin_middle_ms(ms: float) -> float:
    """The geometric middle of the log-spaced latency bin holding `ms` (200 bins per decade from
    1 microsecond): within 0.6% of `ms`."""
    return 10 ** ((math.floor((math.log10(ms) + 3) * 200) + 0.5) / 200 - 3)


def expected_tiny() -> dict[str, float]:
    """Every figure of April 2026 for the tiny store, by hand from the rows above."""
    amount = A.average_amount       # unmatured loans are valued at the assumed average amount
    lgd, rate = A.loss_given_default, A.interest_margin * A.average_term_years
    decided, approved, reviews = 8, 5, 1
    # Cash: baseline (score < 0.10) approves A7, which the policy declined (expected loss avoided);
    # the policy approves A3 (matured good: no loss) and A4 (open: expected loss) which the baseline declines.
    cash = 0.0905 * lgd * amount - 0.0 - 0.1205 * lgd * amount
    # Profit: interest on good matured (A1, A3) and expected good share of open loans (A4, A5),
    # minus realized (A2) and expected losses, minus 8 scores and 1 review.
    income = rate * (10000 + 8000) + rate * ((1 - 0.1205) + (1 - 0.0305)) * amount
    losses = 5000 + (0.1205 + 0.0305) * lgd * amount
    costs = 8 * A.cost_per_prediction + reviews * A.cost_per_review
    approved_amount = 10000 + 20000 + 8000 + 2 * amount
    # Time: 7 automatic decisions share the latency distribution of April's 8 scores; the median
    # lands on the 5th smallest latency (50 ms), p95 on the review (manual turnaround).
    median = A.automated_turnaround_seconds + _latency_bin_middle_ms(50) / 1000
    ref = np.zeros(1000)
    cur = np.zeros(1000)
    for _, ts, score, *_ in ROWS:
        ref[int(score * 1000)] += 1  # reference = first three months = March to May: all rows
        if ts.startswith("2026-04"):
            cur[int(score * 1000)] += 1
    return {
        "adverse_impact_ratio": (2 / 4) / (3 / 4),      # F: A1, A3 of 4; M: A2, A4, A5 of 4
        "declines_with_reasons": (2 + 1) / (2 + 2),     # 2 automated + 2 officer declines, 1 without reason
        "override_rate": 2 / decided,
        "score_psi": float(decile_psi(ref, cur) or 0.0),
        "losses_avoided": cash,
        "hours_saved": (decided * A.manual_minutes_per_application - reviews * A.minutes_per_review) / 60,
        "review_queue": reviews,
        "median_turnaround": median,
        "p95_turnaround": A.manual_turnaround_hours * 3600,
        "net_contribution": income - losses - costs,
        "approved_amount": approved_amount,
        "approved_count": approved,
        "approved_amount_growth": approved_amount / (12000 + 6000) - 1,
        "extra_good_approved": 1 + (1 - 0.1205),         # A3 matured good + A4 expected
        "capital_utilization": approved_amount / (A.capital_available * 30 / 365),
        "serving_capacity_used": 4 / (A.serving_capacity_per_second * 86_400),  # 4 scores on 10 April
    }


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny store, built once per test module that asks for it."""
    root = tmp_path_factory.mktemp("tiny") / "store"
    build_tiny_store(root)
    return root


@pytest.fixture(autouse=True)
def tiny_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny store's targets and business file, in force through the environment: autouse in
    every module that imports this fixture."""
    path = tmp_path / "targets.toml"
    path.write_text(TINY_TARGETS, "utf-8")
    monkeypatch.setenv("DASHBOARD_IMPACT_TARGETS", str(path))
    business = tmp_path / "business.toml"
    business.write_text(TINY_BUSINESS, "utf-8")
    monkeypatch.setenv("DASHBOARD_BUSINESS_CONFIG", str(business))
    return path
