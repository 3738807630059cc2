"""Promotion: the role check, the record, and no decision lost or doubled while a writer runs."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from dashboard.services.registry import promote
from dashboard.store import Store
from dashboard.store.challengers import load_shadow_rows, score_column
from dashboard.store.registry import (
    PromotionError,
    champion_id,
    current_roles,
    promotion_history,
)


def test_promote_records_who_why_and_previous_champion(store_copy: Store) -> None:
    assert champion_id(store_copy) == "gbm_champion"
    event = promote(store_copy, "logit_scorecard", "  simpler and as accurate  ", actor="ann", role="data_scientist")
    assert event["kind"] == "promotion" and event["actor"] == "ann"
    assert event["previous_champion"] == "gbm_champion" and event["rationale"] == "simpler and as accurate"
    assert champion_id(store_copy) == "logit_scorecard"
    assert current_roles(store_copy)["gbm_champion"] == "challenger"
    promote(store_copy, "gbm_champion", "back", actor="root", role="admin")
    history = promotion_history(store_copy)
    assert [e["model_id"] for e in history] == ["gbm_champion", "logit_scorecard"]
    assert champion_id(store_copy) == "gbm_champion"


@pytest.mark.parametrize("role", ["credit_officer", "executive", "", "Admin"])
def test_promote_refuses_other_roles(store_copy: Store, role: str) -> None:
    with pytest.raises(PermissionError):
        promote(store_copy, "logit_scorecard", "because", actor="x", role=role)
    assert store_copy.read_events("promotion") == []


def test_promote_needs_a_rationale_a_known_model_and_a_change(store_copy: Store) -> None:
    with pytest.raises(PromotionError, match="rationale"):
        promote(store_copy, "logit_scorecard", "   ", actor="x", role="admin")
    with pytest.raises(PromotionError, match="not registered"):
        promote(store_copy, "nope", "why", actor="x", role="admin")
    with pytest.raises(PromotionError, match="already the champion"):
        promote(store_copy, "gbm_champion", "why", actor="x", role="admin")
    assert store_copy.read_events("promotion") == []


def _batch(template: pd.DataFrame, batch: int, size: int, decider: str, models: list[str]) -> pd.DataFrame:
    """A simulator batch: every model scores each application; only the champion decides."""
    frames = []
    ts = pd.Timestamp("2027-03-01") + pd.Timedelta(minutes=batch)
    for model_id in models:
        part = template.head(size).copy()
        part["application_id"] = [f"SIM-{batch:03d}-{i:03d}" for i in range(size)]
        part["prediction_id"] = part["application_id"] + "-" + model_id
        part["model_id"] = model_id
        part["timestamp"] = ts
        part["score"] = 0.1
        part["decision"] = "approve" if model_id == decider else None
        part["latency_ms"] = 5.0
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def test_promoting_while_a_writer_runs_loses_and_doubles_no_decision(store_copy: Store) -> None:
    models = ["gbm_champion", "logit_scorecard", "hgb_challenger"]
    card = store_copy.load_card("gbm_champion")
    source = store_copy.predictions_source(store_copy.prediction_files("gbm_champion")[:1])
    template = store_copy.sql(f"SELECT * EXCLUDE (model_id, date) FROM {source} LIMIT 20")
    assert set(card.feature_names) <= set(template.columns)
    batches, size = 8, 10
    deciders: list[str] = []
    started = threading.Event()

    def writer() -> None:
        for b in range(batches):
            decider = champion_id(store_copy)  # what the simulator does each batch
            assert decider is not None
            deciders.append(decider)
            store_copy.write_predictions(_batch(template, b, size, decider, models))
            started.set()
            time.sleep(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait(60)
    promote(store_copy, "logit_scorecard", "promoted mid-run", actor="ann", role="data_scientist")
    thread.join(120)
    assert not thread.is_alive()

    shadow = load_shadow_rows(store_copy, models, pd.Timestamp("2027-03-01").date(), pd.Timestamp("2027-03-02").date())
    assert len(shadow.frame) == batches * size  # every application scored once per model, by each model
    assert all(shadow.frame[score_column(m)].notna().all() for m in models)
    source = store_copy.predictions_source(store_copy.prediction_files(None, "2027-03-01", "2027-03-01"))
    decided = store_copy.sql(f"SELECT application_id, count(*) AS n, any_value(model_id) AS model_id FROM {source} "
                             "WHERE decision IS NOT NULL GROUP BY 1")
    assert len(decided) == batches * size and (decided["n"] == 1).all()
    # The deciding model switched once, between two batches, and never back.
    assert deciders[0] == "gbm_champion" and deciders[-1] == "logit_scorecard"
    switch = deciders.index("logit_scorecard")
    assert set(deciders[switch:]) == {"logit_scorecard"}
    by_batch = decided.assign(batch=decided["application_id"].str[4:7].astype(int))
    assert (by_batch.groupby("batch")["model_id"].nunique() == 1).all()
