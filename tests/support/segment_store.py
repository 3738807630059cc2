"""A small store of one model whose card declares segment columns: categorical ones (one with 30
values, beyond the cap), a numeric one in declared bands, an age in years (the default bands); one
channel where the scores are noise, so that the model fails there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.models.card import parse_card
from dashboard.store import Store

N = 4_000
PRODUCTS = [f"p{i:02d}" for i in range(30)]  # 30 values: beyond the cap of 20
CARD = {"id": "m", "name": "m", "version": "1", "role": "champion", "algorithm": "a", "owner": "o",
        "training": {"data": "none"}, "target": "bad", "features": [{"name": "x", "type": "numeric"}],
        "protected_attributes": ["sex"],
        "segments": ["product", "channel", {"name": "income", "bands": [20_000, 50_000]}, "age"]}
CURRENT = (dt.date(2026, 2, 1), dt.date(2026, 3, 31))
REFERENCE = (dt.date(2025, 12, 4), dt.date(2026, 1, 31))  # the 59 days before: previous_period


def segment_logs() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    weights = 1.0 / np.arange(1, len(PRODUCTS) + 1)
    preds = pd.DataFrame({
        "prediction_id": [f"p{i}" for i in range(N)], "model_id": "m",
        "timestamp": pd.Timestamp("2025-12-03") + pd.to_timedelta(rng.integers(0, 119 * 24, N), unit="h"),
        "application_id": [f"a{i}" for i in range(N)], "x": rng.normal(size=N),
        "sex": rng.choice(["F", "M"], N),
        "product": rng.choice(PRODUCTS, N, p=weights / weights.sum()),
        "channel": pd.Series(rng.choice(["web", "branch", "broker"], N), dtype=object).where(rng.random(N) > 0.05),
        "income": rng.lognormal(10.4, 0.6, N).round(0), "age": rng.integers(18, 80, N).astype(float)})
    # a segment where the model is worse: its scores are noise
    noisy = preds["channel"] == "broker"
    preds["score"] = np.where(noisy, rng.beta(2, 6, N), rng.beta(2, 8, N))
    risk = np.where(noisy, rng.beta(2, 6, N), preds["score"])
    preds["decision"] = np.where(preds["score"] < 0.3, "approve", "decline")
    preds.loc[rng.random(N) < 0.03, "decision"] = None
    approved = preds[preds["decision"] == "approve"].sample(frac=0.8, random_state=1)
    labels = (rng.random(N) < risk).astype(int)
    outcomes = pd.DataFrame({"application_id": approved["application_id"].to_numpy(),
                             "outcome_timestamp": pd.Timestamp("2026-09-01"),
                             "label": labels[approved.index.to_numpy()], "loan_amount": 1_000.0,
                             "loss_amount": np.nan})
    return preds, outcomes




def build_segment_store(root: Path) -> Store:
    store = Store(root)
    store.register_model(parse_card(CARD))
    preds, outcomes = segment_logs()
    store.write_predictions(preds.assign(latency_ms=np.nan))
    store.write_outcomes(outcomes)
    return store
