"""A backup taken while another process ingests is a consistent store: whole batches only, its
rollups equal a rebuild from its logs, its records' chain verifies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard.cli import main
from dashboard.store import Store
from dashboard.store.chain import verify_chain
from tests.store.test_store import _count_predictions, _rollup_tables
from tests.support.batches import copy_prediction_batch

_INGESTER = """
import sys
import pandas as pd
from dashboard.store import Store
from dashboard.ingest.validation import validate_predictions
store = Store(sys.argv[1])
for i, path in enumerate(sys.argv[2:]):
    frame = pd.read_parquet(path)
    store.write_predictions(validate_predictions(frame, store.list_cards()).good)
    store.append_event("override", {"application_id": f"batch-{i}", "reason": "after a batch"}, actor="ingester")
    print(f"wrote {i}", flush=True)
"""
BATCHES, ROWS = 3, 200


def _batches(store: Store, folder: Path) -> list[Path]:
    paths = []
    for i in range(BATCHES):
        path = folder / f"batch-{i}.parquet"
        copy_prediction_batch(store, 900_000 + i * ROWS, ROWS).to_parquet(path)
        paths.append(path)
    return paths


@pytest.mark.slow
def test_a_backup_taken_mid_ingest_restores_a_consistent_store(store_copy: Store, tmp_path: Path) -> None:
    before = _count_predictions(store_copy)
    paths = _batches(store_copy, tmp_path)
    writer = subprocess.Popen([sys.executable, "-c", _INGESTER, str(store_copy.root), *map(str, paths)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert writer.stdout.readline().startswith("wrote 0")
    assert writer.poll() is None                       # the backup runs while the writer ingests
    assert main(["--store", str(store_copy.root), "backup", "--to", str(tmp_path / "backup")]) == 0
    writer.communicate(timeout=600)
    assert writer.returncode == 0

    restored_root = tmp_path / "restored"
    assert main(["restore", "--from", str(tmp_path / "backup"), "--to", str(restored_root)]) == 0
    restored = Store(restored_root)
    for path in restored.prediction_files():
        pq.read_metadata(path)                         # every file whole
    count = _count_predictions(restored)
    raw = restored.sql(f"SELECT count(*) AS n, count(DISTINCT prediction_id) AS d FROM {restored.predictions_source()}")
    assert int(raw["n"].iloc[0]) == int(raw["d"].iloc[0]) == count   # rollups agree with the logs' rows
    # whole batches only; on a fast run the writer may finish all of them before the snapshot
    assert (count - before) % ROWS == 0 and before < count <= before + BATCHES * ROWS
    overrides = restored.read_events("override")
    assert len(overrides) == (count - before) // ROWS or len(overrides) == (count - before) // ROWS - 1
    assert verify_chain(restored.layout).state == "intact"

    kept = _rollup_tables(restored)
    assert main(["--store", str(restored_root), "rollup", "rebuild"]) == 0
    rebuilt = _rollup_tables(Store(restored_root))
    for kind, frame in kept.items():
        pd.testing.assert_frame_equal(frame, rebuilt[kind], check_like=True, obj=kind)
    # The live store went on to the end, untouched by the backup.
    assert _count_predictions(Store(store_copy.root)) == before + BATCHES * ROWS
    assert verify_chain(store_copy.layout).state == "intact"
