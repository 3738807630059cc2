"""The store with real files: idempotent ingest, rebuild, concurrency, a killed writer."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard.ingest.service import ingest_outcome_files, ingest_prediction_files
from dashboard.store import Store
from dashboard.store.files import exclusive_lock
from dashboard.store.portfolio import read_portfolio
from tests.support.batches import copy_prediction_batch

ROLLUPS = ("daily", "scores", "groups", "features", "latency", "shadow", "outcomes", "scores_month",
           "groups_month", "segments", "segments_month")


def _rollup_tables(store: Store) -> dict[str, pd.DataFrame]:
    out = {}
    for kind in ROLLUPS:
        frame = store.read_rollup(kind)
        keys = [c for c in ("model_id", "date", "decision", "feature", "attribute", "grp", "segment", "value", "bin", "sub",
                                 "application_id")
                if c in frame]
        out[kind] = frame.sort_values(keys).reset_index(drop=True)
    return out


def _count_predictions(store: Store) -> int:
    return int(store.sql("SELECT sum(n) AS n FROM r_daily")["n"].iloc[0] or 0)


def test_demo_store_holds_every_row(small_store: Store, small_portfolio_dir: Path) -> None:
    files = read_portfolio(small_portfolio_dir)
    expected = sum(pq.read_metadata(p).num_rows for p in files.predictions)
    assert _count_predictions(small_store) == expected
    raw = small_store.sql(f"SELECT count(*) AS n, count(DISTINCT prediction_id) AS d "
                          f"FROM {small_store.predictions_source()}")
    assert int(raw["n"].iloc[0]) == expected == int(raw["d"].iloc[0])
    outcomes = sum(pq.read_metadata(p).num_rows for p in files.outcomes)
    assert int(small_store.sql("SELECT sum(n) AS n FROM r_outcomes")["n"].iloc[0]) == outcomes


def test_reingest_is_idempotent(store_copy: Store, small_portfolio_dir: Path) -> None:
    files = read_portfolio(small_portfolio_dir)
    before = _count_predictions(store_copy)
    report = ingest_prediction_files(store_copy, files.predictions[:1])
    assert report.ok and report.stored == 0
    assert report.files[0].skipped_existing == report.files[0].rows
    out = ingest_outcome_files(store_copy, files.outcomes)
    assert out.ok and out.stored == 0
    assert _count_predictions(store_copy) == before


def test_rebuild_gives_identical_rollups(store_copy: Store) -> None:
    incremental = _rollup_tables(store_copy)
    store_copy.rebuild_rollups()
    rebuilt = _rollup_tables(Store(store_copy.root))
    for kind in ROLLUPS:
        pd.testing.assert_frame_equal(incremental[kind], rebuilt[kind], check_exact=True, obj=kind)


def test_rollups_match_raw_rows(small_store: Store) -> None:
    src = small_store.predictions_source()
    raw = small_store.sql(f"""
        SELECT model_id, count(*) AS n, count(*) FILTER (decision = 'approve') AS n_approve
        FROM {src} GROUP BY model_id ORDER BY model_id""")
    roll = small_store.sql("""SELECT model_id, sum(n) AS n, sum(n_approve) AS n_approve FROM r_daily
                              GROUP BY model_id ORDER BY model_id""")
    assert raw["n"].tolist() == roll["n"].astype(int).tolist()
    assert raw["n_approve"].tolist() == roll["n_approve"].astype(int).tolist()
    labelled = small_store.sql(f"""
        SELECT count(*) AS n, sum(o.label) AS bad FROM {src} p
        JOIN (SELECT application_id, arg_max(label, outcome_timestamp) AS label
              FROM {small_store.outcomes_source()} GROUP BY 1) o USING (application_id)
        WHERE p.model_id = 'gbm_champion' AND p.decision = 'approve'""")
    roll_l = small_store.sql("""SELECT sum(n_labelled_approved) AS n, sum(n_bad_approved) AS bad
                                FROM r_daily WHERE model_id = 'gbm_champion'""")
    assert int(labelled["n"].iloc[0]) == int(roll_l["n"].iloc[0])
    assert int(labelled["bad"].iloc[0]) == int(roll_l["bad"].iloc[0])


def test_two_writers_and_a_reader(store_copy: Store) -> None:
    before = _count_predictions(store_copy)
    batches = [copy_prediction_batch(store_copy, k * 1000, 300) for k in range(4)]
    seen: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        reader_store = Store(store_copy.root)
        while not stop.is_set():
            seen.append(_count_predictions(reader_store))

    def writer(frames: list[pd.DataFrame]) -> None:
        own = Store(store_copy.root)
        for frame in frames:
            own.write_predictions(frame)

    t_read = threading.Thread(target=reader)
    t_read.start()
    writers = [threading.Thread(target=writer, args=(batches[i::2],)) for i in range(2)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    t_read.join()
    final = _count_predictions(Store(store_copy.root))
    assert final == before + 4 * 300
    assert seen and all(before <= s <= final for s in seen)
    assert seen == sorted(seen)  # readers never see data go backwards


def test_lock_serializes_writers(tmp_path: Path) -> None:
    order: list[str] = []
    lock = tmp_path / ".lock"

    def hold(name: str) -> None:
        with exclusive_lock(lock):
            order.append(f"{name}-in")
            time.sleep(0.2)
            order.append(f"{name}-out")

    threads = [threading.Thread(target=hold, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order[0][0] == order[1][0] and order[2][0] == order[3][0]


_KILLED_WRITER = """
import sys, time
import pandas as pd
from dashboard.store import Store
from dashboard.ingest.validation import validate_predictions
store = Store(sys.argv[1])
frame = pd.read_parquet(sys.argv[2])
good = validate_predictions(frame, store.list_cards()).good
import dashboard.store.store as mod
original = mod.os.replace
def slow_replace(src, dst):
    original(src, dst)
    print("renamed", flush=True)
    time.sleep(0.5)
mod.os.replace = slow_replace
store.write_predictions(good)
print("done", flush=True)
"""


def test_killed_writer_leaves_no_partial_files(store_copy: Store, tmp_path: Path) -> None:
    batch = copy_prediction_batch(store_copy, 50_000, 2000)
    batch_file = tmp_path / "batch.parquet"
    batch.to_parquet(batch_file)
    before = _count_predictions(store_copy)
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(store_copy.root), str(batch_file)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("renamed"):
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Every visible file is whole; nothing of the staging area is visible.
    for path in store_copy.prediction_files():
        pq.read_metadata(path)
    assert not list(store_copy.root.rglob(".tmp-*"))
    # Re-ingesting completes the batch exactly once, and rollups catch up.
    fresh = Store(store_copy.root)
    stats = fresh.write_predictions(batch)
    assert stats.written + stats.skipped_existing == len(batch)
    assert not list(store_copy.root.rglob(".new-*"))  # the dead writer's unrenamed files are gone
    assert _count_predictions(fresh) == before + len(batch)
    raw = fresh.sql(f"SELECT count(*) AS n, count(DISTINCT prediction_id) AS d FROM {fresh.predictions_source()}")
    assert int(raw["n"].iloc[0]) == int(raw["d"].iloc[0]) == before + len(batch)


def test_events_are_immutable_and_ordered(empty_store: Store) -> None:
    first = empty_store.append_event("override", {"application_id": "A1", "reason": "x"}, actor="u1")
    second = empty_store.append_event("override", {"application_id": "A2", "reason": "y"}, actor="u2")
    events = empty_store.read_events("override")
    assert [e["id"] for e in events] == [first["id"], second["id"]]
    assert events[0]["actor"] == "u1"
    with pytest.raises(ValueError):
        empty_store.append_event("../escape", {})


def test_concurrent_events_all_stored(empty_store: Store) -> None:
    threads = [threading.Thread(target=empty_store.append_event, args=("override", {"reason": str(i)}))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(int(e["reason"]) for e in empty_store.read_events("override")) == list(range(20))


def test_model_ids_cannot_escape_the_store(empty_store: Store) -> None:
    for bad in ("../x", "a/b", "..", ".hidden", "", "x" * 65):
        with pytest.raises(ValueError):
            empty_store.layout.model_dir(bad)
        with pytest.raises(ValueError):
            empty_store.prediction_files(model_id=bad)


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    from dashboard.store import StoreError
    with pytest.raises(StoreError, match="no store"):
        Store(tmp_path / "nowhere", create=False)


def test_process_writers_do_not_interleave(store_copy: Store) -> None:
    """Two `dashboard ingest` processes at once, as two scheduled jobs would run: both batches
    are stored whole (the store's lock serialises them) and both processes exit cleanly."""
    before = _count_predictions(store_copy)
    a, b = copy_prediction_batch(store_copy, 70_000, 400), copy_prediction_batch(store_copy, 80_000, 400)
    paths = []
    for i, frame in enumerate((a, b)):
        p = store_copy.root.parent / f"b{i}.parquet"
        frame.to_parquet(p)
        paths.append(p)
    cli = str(Path(sys.executable).parent / "dashboard")
    env = dict(os.environ, PYTHONFAULTHANDLER="1")  # a native crash prints the Python stacks
    procs = [subprocess.Popen([cli, "--store", str(store_copy.root), "ingest", "predictions", str(p)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-3000:] for _, err in outputs]
    assert _count_predictions(Store(store_copy.root)) == before + 800


def test_batches_update_only_their_days_and_equal_a_rebuild(store_copy: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches on existing days, on new days (computed from memory) and both at once, then
    outcomes: the incremental rollups equal a rebuild, and each update computed only its days."""
    from dashboard.store.rollups.compute import RollupComputer

    computed: list[tuple[str, list[str], list[str]]] = []
    original = RollupComputer.compute

    def spy(self: RollupComputer, model_id: str, days: list[str], outcomes: str | None, rows: object = None,
            fresh_days: set[str] | None = None) -> object:
        computed.append((model_id, list(days), sorted(fresh_days or ())))
        return original(self, model_id, days, outcomes, rows, fresh_days)

    monkeypatch.setattr(RollupComputer, "compute", spy)
    existing = copy_prediction_batch(store_copy, 0, 200)
    future = copy_prediction_batch(store_copy, 1000, 200)
    future["timestamp"] = future["timestamp"] + pd.Timedelta(days=800)  # days no file holds yet
    both = pd.concat([copy_prediction_batch(store_copy, 2000, 100), copy_prediction_batch(store_copy, 3000, 100)], ignore_index=True)
    both.loc[100:, "timestamp"] = both.loc[100:, "timestamp"] + pd.Timedelta(days=900)
    for frame in (existing, future, both):
        computed.clear()
        store_copy.write_predictions(frame)
        days = sorted(frame["timestamp"].dt.strftime("%Y-%m-%d").unique())
        assert [c[1] for c in computed] == [days]
        new_days = sorted({d for d in days if d >= "2027"})  # the sample ends in 2026
        assert computed[0][2] == new_days
    outcomes = pd.DataFrame({"application_id": [f"NEWAPP-{i}" for i in (0, 1, 1000, 2000, 3050)],
                             "outcome_timestamp": pd.Timestamp("2029-01-15"), "label": [1, 0, 1, 0, 1],
                             "loan_amount": 1000.0, "loss_amount": [500.0, 0.0, 800.0, 0.0, 100.0]})
    computed.clear()
    store_copy.write_outcomes(outcomes)
    assert sum(len(c[1]) for c in computed) <= 5  # the days those applications were scored on
    incremental = _rollup_tables(Store(store_copy.root))
    store_copy.rebuild_rollups()
    rebuilt = _rollup_tables(Store(store_copy.root))
    for kind in ROLLUPS:
        pd.testing.assert_frame_equal(incremental[kind], rebuilt[kind], check_exact=True, obj=kind)
    assert int(rebuilt["daily"]["n_labelled"].sum()) >= 5


def test_shadow_sample_is_bounded_paired_and_lowest_hash(store_copy: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import dashboard.store.rollups.builders as builders

    monkeypatch.setattr(builders, "SHADOW_PER_DAY", 2)
    store_copy.rebuild_rollups()
    store = Store(store_copy.root)
    shadow = store.read_rollup("shadow")
    assert int(shadow.groupby(["model_id", "date"]).size().max()) == 2
    # expected: per model and day, the 2 ids first by the first 8 bytes of MD5 (hashlib), then id
    rows = store.sql(f"SELECT DISTINCT model_id, date, application_id FROM {store.predictions_source()}")
    rows["md5"] = [hashlib.md5(a.encode("utf-8")).digest()[:8] for a in rows["application_id"]]
    expected = (rows.sort_values(["md5", "application_id"]).groupby(["model_id", "date"]).head(2)
                .drop(columns="md5"))
    key = ["model_id", "date", "application_id"]
    got = shadow[key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.sort_values(key).reset_index(drop=True), check_dtype=False)
    # Models scoring the same applications keep the same ones: the comparison stays paired.
    champion = set(shadow.loc[shadow["model_id"] == "gbm_champion", "application_id"])
    challenger = set(shadow.loc[shadow["model_id"] == "hgb_challenger", "application_id"])
    assert len(champion & challenger) >= 0.9 * len(champion)
    labelled = shadow.dropna(subset=["label"])
    assert not labelled.empty and set(labelled["label"].astype(int)) <= {0, 1}


def test_rollup_load_racing_a_writer_reads_again(store_copy: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A month file replaced while DuckDB reads it fails that read; the load lists and reads again."""
    import duckdb

    from dashboard.store.rollup_tables import RollupTables

    reader = Store(store_copy.root)
    original = RollupTables._load
    calls: list[str] = []

    def flaky(self: RollupTables, kind: str, files: list[str]) -> None:
        calls.append(kind)
        if len(calls) == 1:
            raise duckdb.Error("TProtocolException: Invalid data")
        original(self, kind, files)

    monkeypatch.setattr(RollupTables, "_load", flaky)
    assert _count_predictions(reader) > 0
    assert calls == ["daily", "daily"]




def test_an_event_field_its_kind_does_not_declare_is_refused(empty_store: Store) -> None:
    from dashboard.store import StoreError

    with pytest.raises(StoreError, match="a policy event has no field cutof"):
        empty_store.append_event("policy", {"model_id": "m", "cutof": 0.2}, actor="u")
    assert empty_store.read_events("policy") == []
    event = empty_store.append_event("policy", {"model_id": "m", "cutoff": 0.2}, actor="u")
    assert {"id", "kind", "at", "actor", "model_id", "cutoff", "seq", "prev", "hash"} == set(event)
