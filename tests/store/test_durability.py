"""Durable writes: every published file is fsynced before its rename and its folder after, and a
writer killed at each step of a publish leaves the old state or the new, never a torn file, and
never loses a write that was acknowledged (tests/support/crash.py injects the crashes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.store import Store
from dashboard.store.catalog import PART_GLOB
from dashboard.store.chain import verify_chain
from dashboard.store.files import write_parquet_atomic
from tests.support.batches import copy_prediction_batch
from tests.support.crash import CRASHED, STEPS, trace_publishes, unsafe_renames

ROOT = Path(__file__).resolve().parents[2]


def _crash(scenarios: list[dict[str, str]]) -> list[int]:
    out = subprocess.run([sys.executable, "-m", "tests.support.crash", json.dumps(scenarios)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_every_publish_fsyncs_the_file_then_the_folder(empty_store: Store, tmp_path: Path) -> None:
    with trace_publishes() as calls:
        empty_store.append_event("override", {"application_id": "A1", "reason": "r"}, actor="ann")
        empty_store.append_event("ingest_batch", {"source": "file"})
        write_parquet_atomic(tmp_path / "new" / "deep" / "x.parquet", pa.table({"a": [1, 2]}))
    renames = [c for c in calls if c[0] == "rename"]
    assert len(renames) == 4                              # event, its day's head, activity event, parquet
    assert unsafe_renames(calls) == []
    assert ("fsync", str(tmp_path / "new")) in calls      # a new folder's entry is made durable too


def _event_store(root: Path) -> tuple[Store, list[dict[str, object]]]:
    store = Store(root)
    acked = [store.append_event("override", {"application_id": f"A{i}", "reason": "acknowledged"}, actor="ann")
             for i in range(2)]
    return store, acked


@pytest.mark.slow
def test_an_event_append_killed_at_each_step(tmp_path: Path) -> None:
    scenarios = []
    for target, match in (("event", "events/override/"), ("head", ".head")):
        for step in STEPS:
            root = tmp_path / f"{target}-{step}"
            _event_store(root)
            scenarios.append({"store": str(root), "step": step, "match": match, "action": "append_event",
                              "arg": "crashed", "target": target})
    assert _crash(scenarios) == [CRASHED] * len(scenarios)
    for sc in scenarios:
        store = Store(sc["store"])
        events = store.read_events("override")
        published = sc["target"] == "head" or sc["step"] in ("renamed", "folder_fsynced")
        assert [e["application_id"] for e in events] == ["A0", "A1", *(["crashed"] if published else [])], sc
        assert verify_chain(store.layout).state == "intact", (sc, verify_chain(store.layout).first_break)
        store.append_event("override", {"application_id": "next", "reason": "after the crash"}, actor="ann")
        assert [e["seq"] for e in store.read_events("override")] == list(range(len(events) + 1))
        assert verify_chain(store.layout).state == "intact"


def _visible_rows(root: Path) -> pd.DataFrame:
    """(model_id, date, rows) read straight from the visible Parquet files, not through the store."""
    rows = []
    for path in (root / "predictions").glob(f"model_id=*/date=*/{PART_GLOB}"):
        rows.append((path.parent.parent.name[9:], path.parent.name[5:], pq.read_metadata(path).num_rows))
    frame = pd.DataFrame(rows, columns=["model_id", "date", "n"])
    return frame.groupby(["model_id", "date"], as_index=False)["n"].sum()


@pytest.mark.slow
def test_an_ingest_publishes_durably_and_survives_a_kill_at_each_step(store_copy: Store, tmp_path: Path) -> None:
    with trace_publishes() as calls:
        store_copy.write_predictions(copy_prediction_batch(store_copy, 600_000, 100))   # acknowledged
    renamed = [c[2] for c in calls if c[0] == "rename"]
    assert any("/predictions/" in p for p in renamed) and any("/rollups/daily/" in p for p in renamed)
    assert any("/rollups/.pending/" in p for p in renamed)
    assert unsafe_renames(calls) == []
    batch = copy_prediction_batch(store_copy, 700_000, 150)
    batch["timestamp"] = pd.Timestamp("2031-01-15") + pd.to_timedelta(range(len(batch)), unit="s")  # one new day
    batch_file = tmp_path / "batch.parquet"
    batch.to_parquet(batch_file)
    before = _visible_rows(store_copy.root)
    plan = [(s, "predictions/model_id=") for s in STEPS] + [("written", "rollups/daily/")]
    scenarios = []
    for i, (step, match) in enumerate(plan):
        root = tmp_path / f"store-{i}"
        shutil.copytree(store_copy.root, root)
        scenarios.append({"store": str(root), "step": step, "match": match, "action": "ingest", "arg": str(batch_file)})
    assert _crash(scenarios) == [CRASHED] * len(scenarios)
    for sc in scenarios:
        root = Path(sc["store"])
        seen = _visible_rows(root)                     # every visible file whole (its footer reads)
        new_day = seen[seen["date"] == "2031-01-15"]
        landed = sc["step"] in ("renamed", "folder_fsynced") or "rollups" in sc["match"]
        assert new_day["n"].sum() == (len(batch) if landed else 0), sc
        pd.testing.assert_frame_equal(seen[seen["date"] != "2031-01-15"].reset_index(drop=True), before)
        store = Store(root)                            # the next writer repairs, then completes the batch
        store.write_predictions(batch)
        after = _visible_rows(root).rename(columns={"n": "rows"})
        daily = store.sql("SELECT model_id, strftime(date, '%Y-%m-%d') AS date, sum(n) AS rows FROM r_daily "
                          "GROUP BY ALL")
        merged = after.merge(daily, on=["model_id", "date"], how="outer", suffixes=("", "_rollup"))
        assert (merged["rows"] == merged["rows_rollup"]).all(), sc   # rollups agree with the files
        assert int(after.loc[after["date"] == "2031-01-15", "rows"].sum()) == len(batch)
        assert not list(root.rglob(".new-*"))
