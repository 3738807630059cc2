"""Retraining on the sample portfolio (the story of its concept drift) and every refusal.

The figures are checked against an independent computation on the committed sample's raw
files (pandas, scikit-learn), never through the store's own reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import skops.io as sio
from sklearn.metrics import roc_auc_score

from dashboard.cli import main
from dashboard.services.challengers import CARD_CUTOFF, load_comparison
from dashboard.services.retraining import (
    RetrainRequest,
    backfill_history,
    backfilled_counts,
    retrain,
)
from dashboard.store import Store
from tests.conftest import SAMPLE_DIR

DRIFT_MONTH = "2026-04"   # data/sample/manifest.json: concept_drift_month


def _load_skops(path: Path) -> object:
    data = path.read_bytes()
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


@pytest.fixture(scope="module")
def retrained(demo_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, object]:
    root = tmp_path_factory.mktemp("retrain") / "store"
    shutil.copytree(demo_store_dir, root)
    store = Store(root)
    request = RetrainRequest(source="gbm_champion", start=dt.date(2026, 4, 1), end=dt.date(2026, 10, 31),
                             algorithm="refresh", new_id="gbm_refresh")
    return store, retrain(store, request, actor="test", role="data_scientist")


def _raw_matured() -> pd.DataFrame:
    """The sample's champion log joined to its outcomes: the matured loans, independently."""
    preds = pd.read_parquet(SAMPLE_DIR / "predictions" / "gbm_champion.parquet")
    outcomes = pd.read_parquet(SAMPLE_DIR / "outcomes.parquet")
    rows = preds.merge(outcomes[["application_id", "label"]], on="application_id")
    rows["month"] = rows["timestamp"].dt.strftime("%Y-%m")
    return rows[(rows["timestamp"] >= "2026-04-01") & (rows["timestamp"] < "2026-11-01")]


def test_the_retrained_challenger_beats_the_champion_after_the_drift(retrained: tuple[Store, object]) -> None:
    store, result = retrained
    valid_months, train_months = result.validation.months, result.train_months  # type: ignore[attr-defined]
    # The training never saw the validation months, and all of it is after the drift.
    assert min(train_months) >= DRIFT_MONTH and max(train_months) < min(valid_months)
    raw = _raw_matured()
    train, valid = raw[raw["month"].isin(train_months)], raw[raw["month"].isin(valid_months)]
    assert set(raw["month"]) == set(train_months) | set(valid_months)
    assert result.rows == len(train) and result.bads == train["label"].sum()  # type: ignore[attr-defined]
    reference = pd.read_parquet(store.layout.model_dir("gbm_refresh") / "reference.parquet")
    np.testing.assert_allclose(np.sort(reference["annual_income"]), np.sort(train["annual_income"]))
    # Out-of-time figures on the held-out loans, computed here from the artifacts.
    features = store.load_card("gbm_champion").feature_names
    new = _load_skops(store.layout.model_dir("gbm_refresh") / "model.skops")
    champ = _load_skops(SAMPLE_DIR / "models" / "gbm_champion" / "model.skops")
    p_new = new.predict_proba(valid[features])[:, 1]  # type: ignore[attr-defined]
    p_old = champ.predict_proba(valid[features])[:, 1]  # type: ignore[attr-defined]
    y = valid["label"].to_numpy()
    auc_new, auc_old = roc_auc_score(y, p_new), roc_auc_score(y, p_old)
    ratio_new, ratio_old = y.sum() / p_new.sum(), y.sum() / p_old.sum()
    assert auc_new > auc_old
    assert abs(np.log(ratio_new)) < abs(np.log(ratio_old))
    table = result.validation.metrics.set_index("model_id")  # type: ignore[attr-defined]
    assert table.loc["gbm_refresh", "auc"] == pytest.approx(auc_new)
    assert table.loc["gbm_champion", "auc"] == pytest.approx(auc_old)
    assert result.validation.calibration["gbm_refresh"]["ratio"] == pytest.approx(ratio_new)  # type: ignore[attr-defined]
    # Challengers compares them on the same backfilled applications, with the same figures.
    view = load_comparison(store, "gbm_champion", ("gbm_refresh",), dt.date(2026, 6, 1), dt.date(2026, 10, 31),
                           CARD_CUTOFF)
    shown = view.comparison.metrics.set_index("model_id")
    assert shown.loc["gbm_refresh", "auc"] == pytest.approx(auc_new)
    assert shown.loc["gbm_refresh", "auc_lo"] < auc_new < shown.loc["gbm_refresh", "auc_hi"]
    cal = view.comparison.calibration.set_index("model_id")
    assert cal.loc["gbm_refresh", "ratio"] == pytest.approx(ratio_new)


def test_the_backfill_is_marked_keeps_timestamps_and_is_recorded(retrained: tuple[Store, object]) -> None:
    store, result = retrained
    files = sorted((store.layout.predictions / "model_id=gbm_refresh").glob("date=*/part-*.parquet"))
    logged = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    assert logged["backfilled"].all()
    champ = pd.read_parquet(SAMPLE_DIR / "predictions" / "gbm_champion.parquet")
    champ = champ[(champ["timestamp"] >= "2026-06-01") & (champ["timestamp"] < "2026-11-01")]
    assert len(logged) == len(champ) == result.backfilled  # type: ignore[attr-defined]
    joined = logged.merge(champ[["application_id", "timestamp"]], on="application_id", suffixes=("", "_champ"))
    assert (joined["timestamp"] == joined["timestamp_champ"]).all()
    counts = backfilled_counts(store, ["gbm_champion", "gbm_refresh"], dt.date(2026, 6, 1), dt.date(2026, 10, 31))
    assert counts["gbm_refresh"] == (len(logged), len(logged))
    assert counts["gbm_champion"] == (0, 0)   # never backfilled: not even scanned
    # Files written before the flag existed read as not backfilled.
    store.append_event("backfill", {"model_id": "gbm_champion", "rows": 0}, actor="test")
    counts = backfilled_counts(store, ["gbm_champion"], dt.date(2026, 6, 1), dt.date(2026, 10, 31))
    assert counts["gbm_champion"] == (0, len(champ))
    assert [e["rows"] for e in backfill_history(store, "gbm_refresh")] == [len(logged)]
    assert backfill_history(store, "gbm_refresh")[0]["scored_from"] == "gbm_champion"
    audit = store.read_events("audit", lambda e: e.get("action") == "retrain")
    assert audit[0]["model_id"] == "gbm_refresh" and audit[0]["role"] == "data_scientist"
    card = store.load_card("gbm_refresh")
    assert card.role == "challenger" and card.extra["lineage"]["source_model"] == "gbm_champion"
    assert "reject-inference" in card.limitations
    fingerprint = card.training["fingerprint"]
    assert all((store.root / f["file"]).is_file() for f in fingerprint["files"])
    assert sum(f["rows"] for f in fingerprint["files"] if f["file"].startswith("predictions/")) == \
        sum(pq.ParquetFile(store.root / f["file"]).metadata.num_rows
            for f in fingerprint["files"] if f["file"].startswith("predictions/"))


# ---------------------------------------------------------------------------- refusals
def _snapshot(root: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def refusing_store(small_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small store with a card-only model and a champion card naming a feature its logs lack."""
    root = tmp_path_factory.mktemp("refusals") / "store"
    shutil.copytree(small_store_dir, root)
    store = Store(root)
    champ = store.load_card("gbm_champion")
    store.register_model(dataclasses.replace(champ, id="card_only", role="challenger"))
    extra = dataclasses.replace(champ.features[0], name="bureau_score")
    store.register_model(dataclasses.replace(champ, id="needs_more", role="challenger",
                                             features=(*champ.features, extra)),
                         artifact=store.read_artifact("gbm_champion"))
    return root


WHOLE = "2025-05-01:2026-10-31"
REFUSALS = [
    (["--from", "typo", "--window", WHOLE], "unknown model 'typo'; registered models:"),
    (["--from", "gbm_champion", "--window", WHOLE, "--id", "logit_scorecard"], "'logit_scorecard' is already registered"),
    (["--from", "gbm_champion", "--window", WHOLE, "--id", "../x"], "new model id '../x' is not allowed"),
    (["--from", "card_only", "--window", WHOLE], "cannot be cloned: use --algorithm logistic or hgb"),
    (["--from", "needs_more", "--window", WHOLE], "no matured loan of needs_more"),
    (["--from", "gbm_champion", "--window", "2026-06-01:2026-07-31"], "too few matured loans or bads"),
    (["--from", "gbm_champion", "--window", "2026-05-01:2026-05-31"], "an out-of-time validation needs at least two"),
    (["--from", "gbm_champion", "--window", WHOLE, "--role", "executive"], "may not retrain a challenger"),
    (["--from", "gbm_champion", "--window", WHOLE, "--backfill", WHOLE], "overlaps the training months"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS, ids=[a[1] + " " + m[:30] for a, m in REFUSALS])
def test_bad_input_exits_2_and_changes_nothing(refusing_store: Path, capsys: pytest.CaptureFixture[str],
                                               args: list[str], message: str) -> None:
    before = _snapshot(refusing_store)
    assert main(["--store", str(refusing_store), "retrain", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was changed" in err and "Traceback" not in err
    assert _snapshot(refusing_store) == before


def test_a_feature_missing_from_the_logs_is_refused(refusing_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Last of the module: it re-registers the champion of the refusals' store with one more feature."""
    store = Store(refusing_store)
    champ = store.load_card("gbm_champion")
    extra = dataclasses.replace(champ.features[0], name="bureau_score")
    store.register_model(dataclasses.replace(champ, features=(*champ.features, extra)),
                         artifact=store.read_artifact("gbm_champion"))
    before = _snapshot(refusing_store)
    assert main(["--store", str(refusing_store), "retrain", "--from", "gbm_champion", "--window", WHOLE]) == 2
    err = capsys.readouterr().err
    assert "feature(s) bureau_score of the source card are missing from gbm_champion's prediction logs" in err
    assert _snapshot(refusing_store) == before
