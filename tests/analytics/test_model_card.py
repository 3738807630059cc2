"""Model card live facts and Markdown export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dashboard.analytics.assumptions import BusinessAssumptions
from dashboard.analytics.model_card import (
    compute_card_markdown,
    compute_live_facts,
    compute_missing_fields,
)
from dashboard.analytics.policy import Policy
from dashboard.models.card import parse_card

A = BusinessAssumptions()
RAW = {
    "id": "m1", "name": "Model <b>one</b>", "version": "2", "role": "challenger", "algorithm": "logit",
    "owner": "risk", "training": {"window": {"start": "2024-01-01", "end": "2024-12-31"}, "data": "t.parquet"},
    "target": "bad in 12 months",
    "features": [{"name": "income", "type": "numeric", "description": "Income", "reason_template": "Income {value}",
                  "direction": -1},
                 {"name": "region", "type": "categorical"}],
    "protected_attributes": ["sex"], "intended_use": "<script>alert(1)</script> consumer loans",
    "validation_metrics": {"auc": 0.7}, "cutoff": 0.2,
}


def _rollups() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    score = rng.beta(2, 8, 5000)
    label = (rng.random(5000) < score).astype(int)
    bins = np.minimum((score * 1000).astype(int), 999)
    scores = pd.DataFrame({"bin": bins, "n": 1, "n_labelled": 1, "n_bad": label}).groupby("bin", as_index=False).sum()
    daily = pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-02-01"]), "n": [3000, 2000],
                          "n_labelled": [3000, 2000], "n_bad": [int(label[:3000].sum()), int(label[3000:].sum())]})
    monthly = pd.DataFrame({"model_id": "m1", "month": pd.to_datetime(np.where(np.arange(5000) < 3000,
                                                                                "2026-01-01", "2026-02-01")),
                            "bin": bins, "n": 1}).groupby(["model_id", "month", "bin"], as_index=False).sum()
    groups = pd.DataFrame({"attribute": "sex", "grp": ["f", "f", "m", "m"], "bin": [5, 50, 5, 50],
                           "n": [50, 50, 80, 20]})
    return daily, scores, monthly, groups, score, label  # type: ignore[return-value]


def test_live_facts_from_rollups() -> None:
    card = parse_card(RAW)
    daily, scores, monthly, groups, score, label = _rollups()
    facts = compute_live_facts(card, "champion", daily, scores, monthly, groups, Policy("m1", 0.2), A)
    assert facts.applications == 5000 and facts.labelled == 5000
    assert facts.auc == pytest.approx(roc_auc_score(label, score), abs=2e-3)
    assert facts.first_day.isoformat() == "2026-01-01" and facts.psi_month == "2026-02"
    assert facts.drift_status in ("stable", "watch", "shifted")  # the Drift page's bands
    fair = facts.fairness.set_index("group")
    assert fair.loc["f", "approval_rate"] == pytest.approx(0.5) and fair.loc["m", "approval_rate"] == pytest.approx(0.8)
    assert facts.lowest_air == pytest.approx(0.5 / 0.8)


def test_live_facts_without_logs() -> None:
    card = parse_card(RAW)
    empty = pd.DataFrame(columns=["date", "n", "n_labelled", "n_bad"])
    facts = compute_live_facts(card, "challenger", empty, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                               Policy("m1", 0.2), A)
    assert not facts.has_logs and facts.auc is None
    assert "No prediction logs" in compute_card_markdown(card, facts)


def test_missing_fields_and_markdown_export_escape_html() -> None:
    card = parse_card(RAW)
    missing = compute_missing_fields(card)
    assert "limitations" in missing and "features.region.description" in missing
    assert "intended_use" not in missing
    daily, scores, monthly, groups, _s, _l = _rollups()
    facts = compute_live_facts(card, "champion", daily, scores, monthly, groups, Policy("m1", 0.2), A)
    md = compute_card_markdown(card, facts)
    assert md.startswith("# Model card: Model &lt;b&gt;one&lt;/b&gt; (`m1`)")
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "| role now | champion |" in md
    assert "## Missing card fields" in md and "features.region.description" in md.replace("\\_", "_")
    assert "| live AUC (matured, approved only) | 0." in md
    assert "decline at or above 0.200" in md
