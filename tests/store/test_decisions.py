"""Queue queries by partition and key, one application, override events."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest

from dashboard.services.overrides import OverrideError, record_override
from dashboard.store import Store
from dashboard.store.decisions import (
    QueueFilter,
    application_rows,
    decision_models,
    decision_queue,
    feature_sample,
    latest_overrides,
    model_revision,
    override_history,
)


@pytest.fixture(scope="module")
def champion_rows(small_store: Store) -> pd.DataFrame:
    source = small_store.predictions_source(small_store.prediction_files("gbm_champion"))
    return small_store.sql(f"SELECT application_id, timestamp, decision, score, date FROM {source}")


def _window(rows: pd.DataFrame) -> tuple[dt.date, dt.date]:
    last = pd.Timestamp(rows["date"].max()).date()
    return last - dt.timedelta(days=20), last


def test_queue_filters_sorts_and_pages_like_pandas(small_store: Store, champion_rows: pd.DataFrame) -> None:
    start, end = _window(champion_rows)
    flt = QueueFilter("gbm_champion", start, end, ("decline", "review"), 0.2, 0.9, sort="highest score first")
    days = pd.to_datetime(champion_rows["date"]).dt.date
    expected = champion_rows[(days >= start) & (days <= end) & champion_rows["decision"].isin(["decline", "review"])
                             & champion_rows["score"].between(0.2, 0.9)].sort_values("score", ascending=False)
    first, total = decision_queue(small_store, flt, page=0, page_size=10)
    second, _ = decision_queue(small_store, flt, page=1, page_size=10)
    assert total == len(expected) > 20
    assert list(first["application_id"]) == list(expected["application_id"].iloc[:10])
    assert list(second["application_id"]) == list(expected["application_id"].iloc[10:20])
    assert set(first["decision"]) <= {"decline", "review"}


def test_queue_search_by_application_id_prefix(small_store: Store, champion_rows: pd.DataFrame) -> None:
    target = str(champion_rows["application_id"].iloc[0])
    start, end = _window(champion_rows)
    # The search covers every date of the model, not only the window.
    frame, total = decision_queue(small_store, QueueFilter("gbm_champion", start, end, application_id=target))
    assert total == 1 and frame["application_id"].tolist() == [target]
    _, none = decision_queue(small_store, QueueFilter("gbm_champion", start, end, application_id="NO-SUCH"))
    assert none == 0
    with pytest.raises(ValueError, match="unknown sort"):
        decision_queue(small_store, QueueFilter("gbm_champion", start, end, sort="random"))


def test_one_application_has_every_models_score_deciding_model_first(small_store: Store,
                                                                      champion_rows: pd.DataFrame) -> None:
    target = str(champion_rows["application_id"].iloc[5])
    rows = application_rows(small_store, target, model_hint="gbm_champion")
    assert set(rows["model_id"]) == {"gbm_champion", "logit_scorecard", "hgb_challenger"}
    assert rows["model_id"].iloc[0] == "gbm_champion" and rows["decision"].iloc[0] in ("approve", "decline")
    assert rows["decision"].iloc[1:].isna().all()
    assert "debt_to_income" in rows.columns
    day = pd.Timestamp(rows["date"].iloc[0]).date()
    by_day = application_rows(small_store, target, day=day)
    assert len(by_day) == 3
    assert application_rows(small_store, target).equals(rows)


def test_unknown_application_and_empty_store_give_empty_results(small_store: Store, empty_store: Store) -> None:
    assert application_rows(small_store, "NO-SUCH-APPLICATION").empty
    assert application_rows(small_store, "   ").empty
    assert application_rows(empty_store, "APP-1").empty
    assert decision_models(empty_store).empty
    frame, total = decision_queue(empty_store, QueueFilter("gbm_champion", dt.date(2025, 1, 1), dt.date(2025, 2, 1)))
    assert total == 0 and frame.empty
    assert feature_sample(empty_store, "gbm_champion", ["debt_to_income"]).empty
    assert latest_overrides(empty_store) == {}


def test_decision_models_and_approved_sample(small_store: Store) -> None:
    models = decision_models(small_store)
    assert models["model_id"].iloc[0] == "gbm_champion"
    assert models.set_index("model_id").loc["logit_scorecard", "n_decided"] == 0
    sample = feature_sample(small_store, "gbm_champion", ["debt_to_income", "home_ownership"], rows=300)
    assert len(sample) == 300 and list(sample.columns) == ["debt_to_income", "home_ownership"]
    assert model_revision(small_store, "gbm_champion").startswith("1.0.0:")


def test_two_overrides_at_the_same_moment_from_two_threads_are_both_stored(store_copy: Store) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(actor: str, to: str) -> None:
        try:
            barrier.wait()
            record_override(store_copy, "APP-1", "gbm_champion", "decline", to, f"checked by {actor}", actor)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"officer{i}", "approve")) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = override_history(store_copy, "APP-1")
    assert sorted(e["actor"] for e in history) == ["officer0", "officer1"]
    assert {e["reason"] for e in history} == {"checked by officer0", "checked by officer1"}
    assert all(e["kind"] == "override" and e["from_decision"] == "decline" for e in history)
    assert latest_overrides(store_copy) == {"APP-1": "approve"}
    assert len(store_copy.read_events("override")) == 2  # what Overview counts


def test_override_needs_a_reason_and_a_real_change(store_copy: Store) -> None:
    with pytest.raises(OverrideError, match="reason is required"):
        record_override(store_copy, "APP-1", "m", "decline", "approve", "   ", "me")
    with pytest.raises(OverrideError, match="already approve"):
        record_override(store_copy, "APP-1", "m", "approve", "approve", "why", "me")
    with pytest.raises(OverrideError, match="approve or decline"):
        record_override(store_copy, "APP-1", "m", "approve", "review", "why", "me")
    assert store_copy.read_events("override") == []
    event = record_override(store_copy, "APP-2", "m", None, "decline", "  <b>fraud</b> suspected ", "me")
    assert event["reason"] == "<b>fraud</b> suspected"  # stored as typed; the page shows it as text


def test_override_is_refused_on_the_server_for_a_role_without_permission(store_copy: Store) -> None:
    import pytest as _pytest

    from dashboard.services.overrides import override_history, record_override
    with _pytest.raises(PermissionError):
        record_override(store_copy, "APP-00000001", "gbm_champion", "decline", "approve", "good reason",
                        "local:executive", role="executive")
    assert override_history(store_copy, "APP-00000001") == []
    event = record_override(store_copy, "APP-00000001", "gbm_champion", "decline", "approve", "good reason",
                            "local:credit_officer", role="credit_officer")
    assert event["role"] == "credit_officer"
    assert [e["id"] for e in override_history(store_copy, "APP-00000001")] == [event["id"]]
