"""The sample portfolio: deterministic, realistic in shape, and telling its documented story."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.sample.generator import (
    CATEGORICAL,
    CONCEPT_DRIFT_MONTH,
    FEATURE_NAMES,
    NUMERIC,
    draw_applicants,
    generate_portfolio,
    true_default_probability,
)
from dashboard.store.portfolio import read_portfolio

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.mark.slow
def test_same_seed_same_portfolio() -> None:
    a = generate_portfolio(800, seed=3, training_rows=2_000)
    b = generate_portfolio(800, seed=3, training_rows=2_000)
    pd.testing.assert_frame_equal(a.predictions["gbm_champion"], b.predictions["gbm_champion"])
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    c = generate_portfolio(800, seed=4, training_rows=2_000)
    assert not a.outcomes.equals(c.outcomes)


def test_shape_of_the_portfolio(small_portfolio_dir: Path) -> None:
    files = read_portfolio(small_portfolio_dir)
    assert set(files.cards) == {"gbm_champion", "logit_scorecard", "hgb_challenger"}
    champ = pd.read_parquet(small_portfolio_dir / "predictions" / "gbm_champion.parquet")
    months = champ["timestamp"].dt.to_period("M").nunique()
    assert months == 18
    assert len(FEATURE_NAMES) >= 15 and NUMERIC and CATEGORICAL
    assert champ[FEATURE_NAMES].isna().any().sum() >= 2  # features with missing values
    assert {"sex", "age_band"} <= set(champ.columns)
    # every application scored by every model (shadow), only the champion decides
    for mid in files.cards:
        other = pd.read_parquet(small_portfolio_dir / "predictions" / f"{mid}.parquet")
        assert other["application_id"].tolist() == champ["application_id"].tolist()
        assert other["decision"].isna().all() == (mid != "gbm_champion")


def test_outcomes_only_for_approved_and_3_to_12_months_late(small_portfolio_dir: Path) -> None:
    champ = pd.read_parquet(small_portfolio_dir / "predictions" / "gbm_champion.parquet")
    outcomes = pd.read_parquet(small_portfolio_dir / "outcomes.parquet")
    joined = outcomes.merge(champ[["application_id", "timestamp", "decision"]], on="application_id")
    assert len(joined) == len(outcomes)
    assert (joined["decision"] == "approve").all()
    delay = (joined["outcome_timestamp"] - joined["timestamp"]).dt.days
    assert delay.min() >= 90 and delay.max() <= 366
    manifest = json.loads((small_portfolio_dir / "manifest.json").read_text())
    assert (joined["outcome_timestamp"] < pd.Timestamp(manifest["as_of"])).all()


def test_models_never_use_protected_attributes(small_portfolio_dir: Path) -> None:
    for card_path in read_portfolio(small_portfolio_dir).cards.values():
        text = card_path.read_text()
        assert "protected_attributes" in text
    from dashboard.models.card import parse_card_yaml
    for card_path in read_portfolio(small_portfolio_dir).cards.values():
        card = parse_card_yaml(card_path.read_text())
        assert not set(card.protected_attributes) & set(card.feature_names)


def test_risk_has_non_linearity_and_concept_drift() -> None:
    rng = np.random.default_rng(0)
    x = draw_applicants(rng, 20_000)
    base = true_default_probability(x, np.full(len(x), 1))
    drifted = true_default_probability(x, np.full(len(x), CONCEPT_DRIFT_MONTH))
    assert drifted.mean() > base.mean() + 0.03
    # the same applicant, a higher debt-to-income: risk grows faster past 0.45
    lo, hi = x.copy(), x.copy()
    steps = [0.2, 0.3, 0.5, 0.6]
    risks = []
    for v in steps:
        lo["debt_to_income"] = v
        risks.append(np.log(true_default_probability(lo) / (1 - true_default_probability(lo))).mean())
    assert (risks[3] - risks[2]) > (risks[1] - risks[0]) * 1.3
    assert hi is not lo


def test_data_drift_moves_inputs() -> None:
    rng = np.random.default_rng(1)
    before = draw_applicants(rng, 20_000, np.full(20_000, 1))
    after = draw_applicants(rng, 20_000, np.full(20_000, 12))
    assert after["annual_income"].median() < before["annual_income"].median() * 0.95
    assert (after["loan_purpose"] == "debt_consolidation").mean() > (before["loan_purpose"] == "debt_consolidation").mean() + 0.05


@pytest.mark.skipif(not SAMPLE.exists(), reason="data/sample not generated")
def test_committed_sample_is_small_and_complete() -> None:
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 25 * 1024 * 1024
    files = read_portfolio(SAMPLE)
    assert len(files.cards) == 3 and len(files.artifacts) == 3 and files.training is not None
    assert files.manifest["months"] == 18
