"""A small portfolio this project did not generate, with the traps drift and latency must survive:
heavy-tailed amounts (lognormal sigma 1.5, Pareto), whole-year ages, missing values, a reference
file with its own dates outside the card's training window, latencies in whole milliseconds.

Built the way a new user does it: write a card, `dashboard register-model --reference`, then
`dashboard ingest predictions` of a CSV log. The raw files stay beside the store, so tests can
recompute every figure from them with numpy and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from dashboard.cli import main

MODEL = "foreign_gbm"
NUMERIC = ("amount", "balance", "age", "ratio")
REFERENCE_DATES = ("2024-01-01", "2024-06-30")
LOG_DATES = ("2025-01-01", "2025-04-30")


@dataclass(frozen=True)
class ForeignPortfolio:
    store: Path
    reference: pd.DataFrame   # the registered reference file, as written
    logs: pd.DataFrame        # every logged prediction, as written
    reference_file: Path


def _applicants(rng: np.random.Generator, n: int, amount_shift: float = 0.0, age_shift: float = 0.0) -> pd.DataFrame:
    amount = rng.lognormal(np.log(4_000) + amount_shift, 1.5, n)
    amount[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({
        "amount": np.round(amount, 2),
        "balance": np.round((rng.pareto(1.5, n) + 1) * 900.0, 2),
        "age": np.round(rng.normal(41 + age_shift, 12, n).clip(18, 90)),
        "ratio": rng.normal(0.35, 0.12, n),
        "purpose": rng.choice(["car", "home", "education", "other"], n, p=[0.4, 0.3, 0.2, 0.1]),
    })


def _card() -> dict[str, object]:
    features: list[dict[str, object]] = [
        {"name": n, "type": "numeric", "description": n, "reason_template": f"{n} of {{value}}"} for n in NUMERIC]
    features.append({"name": "purpose", "type": "categorical", "description": "purpose",
                     "reason_template": "purpose {value}", "categories": ["car", "home", "education", "other"]})
    return {"id": MODEL, "name": "Foreign GBM", "version": "1", "role": "champion", "algorithm": "any",
            "owner": "risk", "training": {"window": {"start": "2023-01-01", "end": "2023-12-31"},
                                           "data": "the lender's 2023 development sample"},
            "target": "90+ days past due in 12 months", "features": features, "cutoff": 0.2}


def build_foreign_portfolio(folder: Path, per_day: int = 110, seed: int = 17) -> ForeignPortfolio:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    card_path = folder / "card.yaml"
    card_path.write_text(yaml.safe_dump(_card(), sort_keys=False), "utf-8")
    reference = _applicants(rng, 8_000)
    start, end = (pd.Timestamp(d) for d in REFERENCE_DATES)
    seconds = rng.integers(0, int((end - start).total_seconds()) + 86_399, len(reference))
    reference.insert(0, "timestamp", (start + pd.to_timedelta(np.sort(seconds), unit="s")).strftime("%Y-%m-%d %H:%M:%S"))
    reference_file = folder / "reference.csv"
    reference.to_csv(reference_file, index=False)
    days = pd.date_range(*LOG_DATES, freq="D")
    parts = []
    for i, day in enumerate(days):
        # Amounts grow by a third from March; ages drift up in April; balances do not move.
        part = _applicants(rng, per_day, amount_shift=0.3 if day.month >= 3 else 0.0,
                           age_shift=3.0 if day.month == 4 else 0.0)
        part.insert(0, "timestamp", (day + pd.to_timedelta(np.sort(rng.integers(0, 86_400, per_day)), unit="s")))
        part.insert(0, "application_id", [f"A{i:03d}-{k:04d}" for k in range(per_day)])
        parts.append(part)
    logs = pd.concat(parts, ignore_index=True)
    logs.insert(0, "prediction_id", "P-" + logs["application_id"])
    logs.insert(1, "model_id", MODEL)
    logs["score"] = rng.beta(2, 9, len(logs)).round(6)
    logs["decision"] = np.where(logs["score"] < 0.2, "approve", "decline")
    logs["latency_ms"] = np.round(rng.lognormal(np.log(35), 0.45, len(logs)))  # whole milliseconds
    logs["timestamp"] = logs["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    log_file = folder / "predictions.csv"
    logs.to_csv(log_file, index=False)
    store = folder / "store"
    assert main(["--store", str(store), "register-model", str(card_path), "--reference", str(reference_file)]) == 0
    assert main(["--store", str(store), "ingest", "predictions", str(log_file)]) == 0
    logs["date"] = pd.to_datetime(logs["timestamp"]).dt.date
    return ForeignPortfolio(store=store, reference=reference, logs=logs, reference_file=reference_file)
