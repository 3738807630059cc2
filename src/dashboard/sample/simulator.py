"""A live feed: new applications scored by the real registered models, written to the store.

Each batch draws applicants from the sample generator's world as of today (so the data
and concept drifts of the demo story are on), scores them with every registered model
whose skops artifact is stored (the champion decides with the policy in force, the
others score in shadow), and writes the prediction log through `Store.write_predictions`
(atomic, de-duplicated). Approved loans get an outcome `outcome_delay` seconds later,
written through `Store.write_outcomes`: a compressed stand-in for the 3 to 12 months a
real outcome takes. The champion and its policy are re-read for every batch, so a
promotion or a policy change takes effect on the next one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.errors import DashboardError
from dashboard.models.artifact import predict_scores
from dashboard.sample.generator import (
    FEATURE_NAMES,
    START,
    draw_applicants,
    true_default_probability,
)
from dashboard.store.policy import policy_in_force
from dashboard.store.registry import champion_id
from dashboard.store.store import Store


class SimulatorError(DashboardError, RuntimeError):
    """The store cannot be simulated against; the message says what to do."""


@dataclass
class BatchResult:
    at: dt.datetime
    applications: int
    predictions: int
    approved: int
    outcomes: int
    champion: str
    cutoff: float
    models: list[str]


@dataclass
class SimulationTotals:
    batches: int = 0
    applications: int = 0
    predictions: int = 0
    approved: int = 0
    outcomes: int = 0
    pending_outcomes: int = 0
    per_model: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Simulator:
    """Scores simulated applications with the stored models and writes them to `store`."""

    def __init__(self, store: Store, seed: int | None = None, outcome_delay: float = 30.0,
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self.store = store
        self.rng = np.random.default_rng(seed)
        self.outcome_delay = float(outcome_delay)
        self.clock = clock
        self._pending: list[pd.DataFrame] = []         # outcomes not yet due (column due_at)
        self.totals = SimulationTotals()

    # ------------------------------------------------------------------ models
    def models(self) -> dict[str, Any]:
        """Registered models with a stored artifact whose features the generator draws.

        Reloaded when an artifact changes (a re-registered model is picked up)."""
        out: dict[str, Any] = {}
        for model_id, card in sorted(self.store.list_cards().items()):
            if any(f.name not in FEATURE_NAMES for f in card.features):
                continue  # a model on other features than the sample world's cannot be fed
            model = self.store.load_model(model_id)  # the store's one model cache, keyed by the file
            if model is not None:
                out[model_id] = model
        return out

    # ------------------------------------------------------------------ one batch
    def step(self, applications: int) -> BatchResult:
        """Score and write one batch, then write the outcomes that have come due."""
        now = self.clock()
        champion = champion_id(self.store)
        models = self.models()
        if champion is None or champion not in models:
            raise SimulatorError(
                f"the champion {champion!r} has no stored model artifact the simulator can run; "
                "register models with their .skops file (e.g. `dashboard demo`) first")
        policy = policy_in_force(self.store, champion, at=now)
        written = approved = 0
        if applications > 0:
            # The sample world's month number (1-based from its start): today is past both drifts.
            month = np.full(applications, (now.year - START.year) * 12 + now.month - START.month + 1)
            apps = draw_applicants(self.rng, applications, month)
            app_ids = [f"SIM-{uuid.uuid4().hex[:16]}" for _ in range(applications)]
            frames = []
            decision = None
            for model_id in [champion, *sorted(m for m in models if m != champion)]:
                card = self.store.load_card(model_id)
                cols = [f.name for f in card.features]
                started = time.perf_counter()
                scores = np.round(predict_scores(models[model_id], apps[cols]), 6)
                # The wall time of the call that scored this batch: what a caller waited.
                latency = (time.perf_counter() - started) * 1000
                if model_id == champion:
                    decision = policy.decide(scores)
                frame = apps.copy()
                frame.insert(0, "prediction_id", [f"{a}-{model_id}" for a in app_ids])
                frame.insert(1, "model_id", model_id)
                frame.insert(2, "timestamp", pd.Timestamp(now))
                frame.insert(3, "application_id", app_ids)
                frame.insert(4, "score", scores)
                frame.insert(5, "decision", decision if model_id == champion else None)
                frame.insert(6, "latency_ms", round(latency, 2))
                frames.append(frame)
                self.totals.per_model[model_id] = self.totals.per_model.get(model_id, 0) + applications
            batch = pd.concat(frames, ignore_index=True)
            batch["timestamp"] = pd.to_datetime(batch["timestamp"])
            stats = self.store.write_predictions(batch)
            written = stats.written
            assert decision is not None
            granted = decision == "approve"
            approved = int(granted.sum())
            if approved:
                self._queue_outcomes(apps[granted], np.array(app_ids)[granted], month[granted], now)
        outcomes = self.flush_outcomes(now)
        self.totals.batches += 1
        self.totals.applications += applications
        self.totals.predictions += written
        self.totals.approved += approved
        self.totals.pending_outcomes = sum(len(p) for p in self._pending)
        return BatchResult(now, applications, written, approved, outcomes, champion, policy.cutoff, sorted(models))

    def _queue_outcomes(self, apps: pd.DataFrame, app_ids: np.ndarray, month: np.ndarray, now: dt.datetime) -> None:
        bad = self.rng.random(len(apps)) < true_default_probability(apps.reset_index(drop=True), month)
        amount = apps["loan_amount"].to_numpy(dtype=float)
        lgd = self.rng.uniform(0.35, 0.75, len(apps))
        self._pending.append(pd.DataFrame({
            "application_id": app_ids, "label": bad.astype(int), "loan_amount": amount,
            "loss_amount": np.where(bad, np.round(amount * lgd, 2), 0.0),
            "due_at": pd.Timestamp(now) + pd.Timedelta(seconds=self.outcome_delay)}))

    def flush_outcomes(self, now: dt.datetime | None = None, everything: bool = False) -> int:
        """Write outcomes whose time has come (all of them with `everything`)."""
        if not self._pending:
            return 0
        moment = pd.Timestamp(now or self.clock())
        pending = pd.concat(self._pending, ignore_index=True)
        due = pending["due_at"] <= moment if not everything else np.ones(len(pending), dtype=bool)
        self._pending = [pending[~due]] if (~due).any() else []
        ready = pending[due].drop(columns=["due_at"])
        if ready.empty:
            return 0
        ready.insert(1, "outcome_timestamp", pd.Timestamp(moment))
        stats = self.store.write_outcomes(ready)
        self.totals.outcomes += stats.written
        self.totals.pending_outcomes = sum(len(p) for p in self._pending)
        return stats.written

    # ------------------------------------------------------------------ the loop
    def run(self, rate: float, duration: float, interval: float = 1.0,
            on_batch: Callable[[BatchResult], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> SimulationTotals:
        """About `rate` applications a second for `duration` seconds, written every `interval`.

        Arrivals are Poisson; the count of each batch follows the time actually elapsed,
        so a slow write does not lower the rate.
        """
        if rate <= 0 or duration <= 0 or interval <= 0:
            raise SimulatorError("rate, duration and interval must all be positive")
        start = last = time.monotonic()
        while True:
            if should_stop is not None and should_stop():
                break
            elapsed_total = time.monotonic() - start
            if elapsed_total >= duration:
                break
            time.sleep(max(0.0, min(interval, duration - elapsed_total) - (time.monotonic() - last)))
            now_mono = time.monotonic()
            n = int(self.rng.poisson(rate * (now_mono - last)))
            last = now_mono
            result = self.step(n)
            if on_batch is not None:
                on_batch(result)
        return self.totals
