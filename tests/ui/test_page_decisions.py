"""The Decisions page as a credit officer: queue, deep link, what-if, override."""

from __future__ import annotations

from pathlib import Path

from dashboard.store import Store
from tests.support.apptest import errors, open_page


def _declined(store: Store) -> str:
    source = store.predictions_source(store.prediction_files("gbm_champion"))
    frame = store.sql(f"SELECT application_id FROM {source} WHERE decision = 'decline' "
                      "ORDER BY score DESC LIMIT 1")
    return str(frame["application_id"].iloc[0])


def test_queue_opens_for_the_credit_officer(small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "credit_officer", "decisions")
    assert errors(at) == []
    assert at.title[0].value == "Decisions"
    assert any("rows match" in c.value for c in at.caption)
    queue = at.dataframe[0].value
    assert {"application_id", "decision", "score"} <= set(queue.columns) and len(queue) == 25
    assert not at.metric  # no application open yet


def test_deep_link_opens_one_application_explained(small_store: Store, small_store_dir: Path) -> None:
    app_id = _declined(small_store)
    at = open_page(small_store_dir, "credit_officer", "decisions", query={"application": app_id})
    assert errors(at) == []
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Model decision"] == "decline"
    assert metrics["Cutoff in force"] == "0.150"
    assert any(f"Application {app_id}" == h.value for h in at.subheader)
    challengers = at.dataframe[1].value  # after the queue
    assert {"hgb_challenger (challenger)", "logit_scorecard (challenger)"} <= set(challengers["model"])
    texts = [m.value for m in at.markdown]
    assert "**Principal reasons for the decline**" in texts
    reasons = next(t for t in texts if t.startswith("1. "))
    assert "approved applicants" in reasons and "sex" not in reasons and "age_band" not in reasons
    assert any("log-odds" in c.value for c in at.caption)
    assert "**Smallest change that would approve**" in texts


def test_unknown_application_and_invalid_whatif_give_messages(small_store: Store, small_store_dir: Path) -> None:
    at = open_page(small_store_dir, "credit_officer", "decisions", query={"application": "NO-SUCH-ID"})
    assert errors(at) == []
    assert any("No application with id 'NO-SUCH-ID'" in w.value for w in at.warning)

    app_id = _declined(small_store)
    at = open_page(small_store_dir, "credit_officer", "decisions", query={"application": app_id})
    at.number_input(key=f"wi_{app_id}_gbm_champion_debt_to_income").set_value(7.0)
    next(b for b in at.button if b.label == "Re-score").click()
    at.run()
    assert errors(at) == []
    assert any("7 is above the card's maximum 1.5" in w.value.replace("\\", "") for w in at.warning)

    at.number_input(key=f"wi_{app_id}_gbm_champion_debt_to_income").set_value(0.05)
    next(b for b in at.button if b.label == "Re-score").click()
    at.run()
    assert errors(at) == []
    assert "New score" in [m.label for m in at.metric]


def test_override_needs_a_reason_and_is_kept_in_history(store_copy: Store) -> None:
    app_id = _declined(store_copy)
    at = open_page(store_copy.root, "credit_officer", "decisions", query={"application": app_id})
    submit = next(b for b in at.button if b.label == "Record override")
    submit.click()
    at.run()
    assert any("reason is required" in w.value for w in at.warning)
    assert store_copy.read_events("override") == []

    at.text_area(key=f"ov_reason_{app_id}").input("**Income verified** <script>x</script>")
    next(b for b in at.button if b.label == "Record override").click()
    at.run()
    assert errors(at) == []
    assert any("Override recorded" in s.value for s in at.success)
    events = store_copy.read_events("override")
    assert len(events) == 1
    assert events[0]["to_decision"] == "approve" and events[0]["actor"] == "local:credit_officer"
    history = at.dataframe[-1].value
    assert history["reason"].tolist() == ["**Income verified** <script>x</script>"]


def test_empty_store_says_how_to_fill_it(empty_store: Store) -> None:
    at = open_page(empty_store.root, "credit_officer", "decisions")
    assert errors(at) == []
    assert any("holds no decisions yet" in i.value for i in at.info)
