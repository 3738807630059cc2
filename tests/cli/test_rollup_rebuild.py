"""dashboard rollup rebuild: moving an older store to the stable sample (and saying so), and a
rebuild of some models and months that reads no other month's logs (a label backfill)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from dashboard.cli import main
from dashboard.store import Store
from dashboard.store.rollups.writer import ROLLUP_FORMAT

MODEL = "hgb_challenger"


def _format(store: Store) -> int:
    return int(json.loads((store.layout.rollups / "FORMAT.json").read_text())["version"])


def test_a_store_sampled_by_the_old_hash_is_moved_and_told(store_copy: Store, capsys: pytest.CaptureFixture[str]) -> None:
    (store_copy.layout.rollups / "FORMAT.json").write_text(json.dumps({"version": 3}))
    assert main(["--store", str(store_copy.root), "rollup", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "note: the Challengers page's shadow sample now picks applications by the stable sampling hash" in out
    assert _format(Store(store_copy.root)) == ROLLUP_FORMAT
    assert main(["--store", str(store_copy.root), "rollup", "rebuild"]) == 0
    assert "note:" not in capsys.readouterr().out


def test_an_old_store_refuses_a_partial_rebuild(store_copy: Store, capsys: pytest.CaptureFixture[str]) -> None:
    (store_copy.layout.rollups / "FORMAT.json").write_text(json.dumps({"version": 3}))
    assert main(["--store", str(store_copy.root), "rollup", "rebuild", "--models", MODEL]) == 2
    assert "rebuild them all first" in capsys.readouterr().err


def test_a_rebuild_of_some_months_reads_and_writes_only_those(store_copy: Store,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = store_copy.root
    months = sorted({d[:7] for m, d in store_copy.catalog.prediction_days() if m == MODEL})
    target, other = months[len(months) // 2], months[1]
    kinds = ["daily", "scores", "features", "latency", "shadow", "scores_month"]
    before = {k: pq.read_table(store_copy.layout.rollup_file(k, MODEL, target)) for k in kinds}
    for k in kinds:  # recomputed from nothing
        store_copy.layout.rollup_file(k, MODEL, target).unlink()
    untouched = {p: p.stat().st_mtime_ns for p in (root / "rollups").rglob("*.parquet") if target not in p.name}
    # an unreadable file in another month: a rebuild that read it would fail
    victim = next((store_copy.layout.prediction_model_dir(MODEL)).glob(f"date={other}-*/part-*.parquet"))
    victim.write_bytes(b"not parquet")
    code = main(["--store", str(root), "rollup", "rebuild", "--models", MODEL, "--from", f"{target}-17",
                 "--to", target])
    assert code == 0
    out = capsys.readouterr().out
    assert f"({MODEL}; months {target} to {target})" in out
    for k in kinds:
        assert pq.read_table(store_copy.layout.rollup_file(k, MODEL, target)).equals(before[k]), k
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched
