"""A store whose features and latency rollups were written before per-bin positions and the fine
latency bins: pages and reports keep working on the old estimates and say so, and
`dashboard rollup rebuild` brings the store up to date."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.cli import main
from dashboard.store import Store
from tests.support.apptest import errors, open_page

MODEL = "gbm_champion"


def _downgrade(store: Store) -> None:
    """Rewrite the features and latency rollups as the code before wrote them: rows per bin only,
    and latency counted in 20 bins per decade from 0.1 ms, recomputed from the raw rows."""
    for path in sorted((store.layout.rollups / "features").glob("*/*.parquet")):
        frame = pq.read_table(path).to_pandas()
        old = (frame.groupby(["model_id", "date", "feature", "bin"], as_index=False, sort=True)["n"].sum()
               .astype({"bin": "int32", "n": "int64"}))
        pq.write_table(pa.Table.from_pandas(old, preserve_index=False), path)
    source = store.predictions_source()
    con = duckdb.connect()
    for path in sorted((store.layout.rollups / "latency").glob("*/*.parquet")):
        model, month = path.parent.name, path.stem
        old = con.sql(f"""
            SELECT model_id, date, floor((log10(greatest(latency_ms, 0.1)) + 1) * 20)::INTEGER AS bin,
                   count(*)::BIGINT AS n
            FROM {source} WHERE model_id = '{model}' AND strftime(date, '%Y-%m') = '{month}'
              AND latency_ms IS NOT NULL
            GROUP BY ALL ORDER BY date, bin""").to_arrow_table()
        pq.write_table(old, path)


@pytest.fixture(scope="module")
def old_store_dir(small_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Downgraded once per module (the latency recount reads every raw row: about 25 s)."""
    root = tmp_path_factory.mktemp("old-rollups") / "store"
    shutil.copytree(small_store_dir, root)
    _downgrade(Store(root))
    return root


@pytest.fixture
def old_store(old_store_dir: Path, tmp_path: Path) -> Store:
    """A private, writable copy of the downgraded store."""
    shutil.copytree(old_store_dir, tmp_path / "store")
    return Store(tmp_path / "store")


def _report(capsys: pytest.CaptureFixture[str], store: Store, *args: str) -> tuple[int, str]:
    code = main(["--store", str(store.root), "report", *args])
    return code, capsys.readouterr().out


def test_old_rollups_give_the_old_estimates_with_a_note_until_rebuilt(old_store: Store,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _report(capsys, old_store, "drift", "--model", MODEL, "--format", "json")
    assert code == 0
    data = json.loads(out)
    numeric = [f for f in data["features"] if f["type"] == "numeric"]
    assert numeric and {f["wasserstein_estimate"] for f in numeric} == {"bin centers"}
    assert all(f["wasserstein"] is not None for f in numeric)
    assert any("bin centers" in m and "dashboard rollup rebuild" in m for m in data["messages"])
    code, out = _report(capsys, old_store, "performance", "--model", MODEL, "--format", "json")
    months = json.loads(out)["months"]
    assert months and all("rollup rebuild" in (m["latency_note"] or "") for m in months)
    raw = old_store.sql(f"SELECT date_trunc('month', date)::DATE AS m, quantile_cont(latency_ms, 0.95) AS p95 "
                        f"FROM {old_store.predictions_source(old_store.prediction_files(MODEL))} GROUP BY 1")
    by_month = dict(zip(raw["m"].astype(str).str[:10], raw["p95"], strict=True))
    for m in months:  # the old figure: the upper edge of a 12% bin holding the true value
        assert by_month[m["period"][:10]] <= m["latency_p95"] <= by_month[m["period"][:10]] * 10 ** (1 / 20)
    _, md = _report(capsys, old_store, "performance", "--model", MODEL)
    assert "\\* Upper edge of its latency bin" in md and " * |" in md

    assert main(["--store", str(old_store.root), "rollup", "rebuild"]) == 0
    capsys.readouterr()
    fresh = Store(old_store.root)
    code, out = _report(capsys, fresh, "drift", "--model", MODEL, "--format", "json")
    data = json.loads(out)
    assert {f["wasserstein_estimate"] for f in data["features"] if f["type"] == "numeric"} == {"bin positions"}
    assert not any("bin centers" in m for m in data["messages"])
    code, out = _report(capsys, fresh, "performance", "--model", MODEL, "--format", "json")
    assert all(m["latency_note"] is None for m in json.loads(out)["months"])


def test_pages_do_not_break_on_old_rollups(old_store: Store) -> None:
    at = open_page(old_store.root, "data_scientist", "drift")
    assert errors(at) == []
    assert any("bin centers" in i.value for i in at.info)
    at = open_page(old_store.root, "data_scientist", "performance")
    assert errors(at) == []
    at.session_state["perf_tab"] = "Latency"
    at.run()
    assert errors(at) == []
    assert any("upper edge of its latency bin" in c.value and "rollup rebuild" in c.value for c in at.caption)


def test_a_batch_ingested_on_old_month_files_keeps_both_readable(old_store: Store, small_portfolio_dir: Path) -> None:
    """New days written into an old month file: its old days lack positions, so the window that holds
    them falls back to bin centers, and one holding only new days does not."""
    src = old_store.predictions_source(old_store.prediction_files(MODEL))
    last = old_store.sql(f"SELECT max(date) AS d FROM {src}")["d"].iloc[0]
    rows = old_store.sql(f"SELECT * EXCLUDE (date) FROM {src} WHERE date = ?", [last])
    rows["prediction_id"] = "NEW-" + rows["prediction_id"]
    rows["application_id"] = "NEW-" + rows["application_id"]
    day = pd.Timestamp(last) + pd.Timedelta(days=1)
    rows["timestamp"] = day + (pd.to_datetime(rows["timestamp"]) - pd.Timestamp(last))
    from dashboard.ingest.validation import validate_predictions

    result = validate_predictions(rows, old_store.list_cards())
    assert result.ok
    old_store.write_predictions(result.good)
    fresh = Store(old_store.root)
    features = fresh.sql("SELECT date, pos_sum FROM r_features WHERE model_id = ?", [MODEL])
    new_day = features[pd.to_datetime(features["date"]) == day]
    assert len(new_day) and new_day["pos_sum"].notna().all()
    assert features[pd.to_datetime(features["date"]) < day]["pos_sum"].isna().all()
    from dashboard.analytics.drift import compute_drift_report
    from dashboard.services.drift import load_drift_inputs

    only_new = compute_drift_report(load_drift_inputs(fresh, MODEL, None, (day.date(), day.date())), None)
    assert set(only_new.features.query("type == 'numeric'")["wasserstein_estimate"]) == {"bin positions"}
    both = compute_drift_report(load_drift_inputs(fresh, MODEL, None, ((day - pd.Timedelta(days=3)).date(),
                                                                       day.date())), None)
    assert set(both.features.query("type == 'numeric'")["wasserstein_estimate"]) == {"bin centers"}
    lat = fresh.sql("SELECT bin FROM r_latency WHERE model_id = ? AND date = ?", [MODEL, day.date()])
    assert (np.asarray(lat["bin"]) >= 10_000).all()
