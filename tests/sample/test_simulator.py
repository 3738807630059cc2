"""The live simulator: real models, policy in force, atomic writes read while they happen."""

from __future__ import annotations

import json
import threading
import time

import pytest

from dashboard.cli import main
from dashboard.sample.simulator import Simulator, SimulatorError
from dashboard.services.performance import load_performance
from dashboard.services.policy import apply_policy
from dashboard.store import Store
from dashboard.store.performance import count_predictions
from dashboard.store.registry import PROMOTION


def _raw_ids(store: Store) -> tuple[int, int]:
    source = store.predictions_source()
    frame = store.sql(f"SELECT count(*) AS n, count(DISTINCT prediction_id) AS d FROM {source}")
    return int(frame["n"].iloc[0]), int(frame["d"].iloc[0])


def test_simulator_rows_show_up_in_the_page_data_while_it_runs(store_copy: Store) -> None:
    before = {m: count_predictions(store_copy, m) for m in store_copy.list_cards()}
    reader = Store(store_copy.root)  # a separate handle, as the app holds its own
    sim = Simulator(Store(store_copy.root), seed=3, outcome_delay=0.5)
    seen: list[int] = []
    errors: list[BaseException] = []

    sim.models()  # load the skops models first: the test times the feed, not the loading

    def feed() -> None:
        try:
            # At least four batches however slow the (shared) machine is; 60 s is only a guard.
            sim.run(rate=25, duration=60, interval=0.5, should_stop=lambda: sim.totals.batches >= 4)
            time.sleep(0.6)
            sim.flush_outcomes()
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)

    worker = threading.Thread(target=feed)
    worker.start()
    while worker.is_alive():
        view = load_performance(reader, "gbm_champion", "day")
        seen.append(int(view.periods["applications"].sum()))
        time.sleep(0.2)
    worker.join()
    assert errors == []
    totals = sim.totals
    assert totals.applications > 20 and totals.batches == 4
    # Every read saw a consistent, growing count, and the end state holds every row exactly once.
    assert seen == sorted(seen)
    final = load_performance(reader, "gbm_champion", "day")
    assert int(final.periods["applications"].sum()) == before["gbm_champion"] + totals.applications
    for model_id, n in before.items():
        assert count_predictions(reader, model_id) == n + totals.applications
    rows, distinct = _raw_ids(reader)
    assert rows == distinct == sum(before.values()) + totals.predictions
    assert totals.predictions == 3 * totals.applications
    # Outcomes of the approved loans arrived and are counted as matured labels today.
    assert totals.outcomes > 0
    today = final.periods.iloc[-1]
    assert today["labelled"] == totals.outcomes
    assert today["approved"] == totals.approved


def test_policy_change_and_promotion_take_effect_on_the_next_batch(store_copy: Store) -> None:
    sim = Simulator(store_copy, seed=4, outcome_delay=3600)
    first = sim.step(40)
    assert first.champion == "gbm_champion" and first.approved > 0
    apply_policy(store_copy, "gbm_champion", cutoff=0.0, review_from=None, rationale="stop lending", actor="test")
    second = sim.step(40)
    assert second.cutoff == 0.0 and second.approved == 0
    store_copy.append_event(PROMOTION, {"model_id": "logit_scorecard"}, actor="test")
    third = sim.step(40)
    assert third.champion == "logit_scorecard"
    decided = store_copy.sql(f"""SELECT model_id, count(*) FILTER (decision IS NOT NULL) AS decided
        FROM {store_copy.predictions_source()} WHERE application_id LIKE 'SIM-%' GROUP BY 1""")
    by_model = dict(zip(decided["model_id"], decided["decided"], strict=True))
    assert by_model["logit_scorecard"] == 40 and by_model["gbm_champion"] == 80
    assert third.outcomes == 0 and sim.totals.pending_outcomes == first.approved + third.approved


def test_simulator_refuses_a_store_without_models(empty_store: Store) -> None:
    with pytest.raises(SimulatorError, match="no stored model artifact"):
        Simulator(empty_store).step(5)
    with pytest.raises(SimulatorError, match="positive"):
        Simulator(empty_store).run(rate=0, duration=1)


def test_simulate_command_prints_totals(store_copy: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--store", str(store_copy.root), "simulate", "--rate", "20", "--duration", "1.2",
                 "--interval", "0.4", "--outcome-delay", "0", "--wait-outcomes", "--seed", "1", "--quiet"])
    assert code == 0
    totals = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert totals["predictions"] == 3 * totals["applications"]
    assert totals["pending_outcomes"] == 0 and totals["outcomes"] == totals["approved"]
