"""Outcome batches merged into the rollups as a delta: after corrections, stale and duplicate
outcomes, outcomes before their predictions and predictions after their outcomes, every rollup
file equals `rollup rebuild`'s row for row, the labelled counts equal pandas on the raw rows,
and no touched day was recomputed from its rows (unless its rollup lacked a row)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard.ingest.validation import validate_outcomes
from dashboard.store import Store
from dashboard.store.outcome_delta import OutcomeDelta, Write
from dashboard.store.rollups.compute import RollupComputer
from dashboard.store.writer import WriteStats
from tests.support.batches import copy_prediction_batch


def _raw(store: Store, kind: str) -> pd.DataFrame:
    files = store.prediction_files() if kind == "predictions" else store.outcome_files()
    frames = [pq.read_table(f).to_pandas().assign(date=f.parent.name[5:]) for f in files]
    if kind == "predictions":
        frames = [f.assign(model_id=p.parent.parent.name[9:]) for f, p in zip(frames, files, strict=True)]
    return pd.concat(frames, ignore_index=True)


def _rollup_files(store: Store) -> dict[str, pd.DataFrame]:
    base = store.layout.rollups
    return {str(p.relative_to(base)): pq.read_table(p).to_pandas()
            for p in sorted(base.rglob("*.parquet")) if not p.name.startswith(".")}


def _outcomes(apps: list[str], when: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amounts = rng.uniform(500, 20_000, len(apps)).round(2)
    frame = pd.DataFrame({"application_id": apps, "outcome_timestamp": pd.Timestamp(when),
                          "label": rng.integers(0, 2, len(apps)),
                          "loan_amount": np.where(rng.random(len(apps)) < 0.2, np.nan, amounts),
                          "loss_amount": np.where(rng.random(len(apps)) < 0.3, np.nan, amounts / 3)})
    return validate_outcomes(frame).good


def _expected_labelled(store: Store) -> pd.DataFrame:
    """Per model and day, labelled and bad predictions from the raw rows (latest outcome wins)."""
    preds, outs = _raw(store, "predictions"), _raw(store, "outcomes")
    latest = outs.sort_values("outcome_timestamp").groupby("application_id").tail(1)
    joined = preds.merge(latest[["application_id", "label"]], on="application_id", how="left")
    out = joined.groupby(["model_id", "date"]).agg(n_labelled=("label", "count"), n_bad=("label", "sum"))
    return out.astype("int64").reset_index()


def _write_checked(store: Store, frame: pd.DataFrame) -> WriteStats:
    """Write `frame`; the skipped rows are exactly those stored already (pandas on the raw files)."""
    stored = _raw(store, "outcomes").set_index(["application_id", "outcome_timestamp"]).index
    expected = int(frame.set_index(["application_id", "outcome_timestamp"]).index.isin(stored).sum())
    stats = store.write_outcomes(frame)
    assert (stats.skipped_existing, stats.written) == (expected, len(frame) - expected)
    return stats


def test_outcome_batches_equal_a_rebuild(store_copy: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    recomputed: list[str] = []
    original = RollupComputer.compute

    def spy(self: RollupComputer, model_id: str, *args: object, **kwargs: object) -> object:
        recomputed.append(model_id)
        return original(self, model_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(RollupComputer, "compute", spy)
    preds, outs = _raw(store_copy, "predictions"), _raw(store_copy, "outcomes")
    # A month file without one day's rows (written from other rows than the logs hold): that
    # batch falls back to recomputing its days from the logs.
    day = sorted(preds["date"].unique())[3]
    path = store_copy.layout.rollup_file("scores", "gbm_champion", day[:7])
    table = pq.read_table(path)
    pq.write_table(table.filter(table.column("date").cast("string").to_pandas().ne(day).to_numpy()), path)
    store_copy.write_outcomes(_outcomes(sorted(preds.loc[preds["date"] == day, "application_id"])[:5],
                                        "2031-01-01", 7))
    assert "gbm_champion" in recomputed
    recomputed.clear()
    rng = np.random.default_rng(5)
    scored = sorted(preds["application_id"].unique())
    labelled = sorted(outs["application_id"].unique())
    spread = list(rng.choice(scored, 120, replace=False))              # across the whole history
    corrected = list(rng.choice(labelled, 60, replace=False))          # outcomes already stored: replaced
    late = _outcomes(spread + corrected, "2031-03-01 12:00", 1)
    stale = _outcomes(corrected[:20], "2020-01-01", 2)                  # older than the stored ones: no effect
    again = validate_outcomes(outs.sample(40, random_state=3).drop(columns=["date"])).good  # stored: skipped
    before_apps = [f"NEWAPP-{i}" for i in range(30)]                    # outcomes before their predictions
    # A writer killed after part of its delta was written: the next writer's recovery
    # recomputes from the logs, so no delta is lost or applied twice.
    write_one = OutcomeDelta._write
    calls: list[int] = []

    def dies_after_three(self: OutcomeDelta, item: Write) -> None:
        calls.append(1)
        if len(calls) > 3:
            raise OSError("killed midway")
        write_one(self, item)

    monkeypatch.setattr(OutcomeDelta, "_write", dies_after_three)
    with pytest.raises(OSError, match="killed midway"):
        store_copy.write_outcomes(_outcomes(spread[:40], "2031-02-01", 8))
    monkeypatch.setattr(OutcomeDelta, "_write", write_one)
    batches = [late, pd.concat([stale, again], ignore_index=True), _outcomes(before_apps, "2031-03-02", 4)]
    for i, frame in enumerate(batches):
        stats = _write_checked(store_copy, frame)
        if i == 0:
            assert recomputed   # the recovery
            recomputed.clear()
    assert recomputed == [] and stats.partitions == []   # outcomes of applications not scored yet
    store_copy.write_predictions(copy_prediction_batch(store_copy, 0, 60))   # predictions after their outcomes
    store_copy.compact()   # the index follows the merged files
    recomputed.clear()
    corrections = _outcomes(before_apps[:10] + spread[:10], "2031-03-05", 6)
    assert _write_checked(store_copy, pd.concat([corrections, late[:5]], ignore_index=True)).skipped_existing == 5
    assert recomputed == []
    got = Store(store_copy.root).read_rollup("daily")[["model_id", "date", "n_labelled", "n_bad"]]
    got["date"] = got["date"].astype(str)
    expected = _expected_labelled(store_copy)
    pd.testing.assert_frame_equal(got.sort_values(["model_id", "date"]).reset_index(drop=True),
                                  expected.sort_values(["model_id", "date"]).reset_index(drop=True), check_dtype=False)
    incremental = _rollup_files(store_copy)
    store_copy.rebuild_rollups()
    rebuilt = _rollup_files(Store(store_copy.root))
    assert sorted(incremental) == sorted(rebuilt)
    for name, frame in rebuilt.items():
        pd.testing.assert_frame_equal(incremental[name], frame, check_exact=True, obj=name)

