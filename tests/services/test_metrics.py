"""The per-model Prometheus metrics, scraped and parsed with Prometheus' text parser, against
independent computations on the raw rows of the fixture store (pandas, scikit-learn, numpy)."""

from __future__ import annotations

import functools
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.metrics import roc_auc_score

from dashboard.services import metrics as metrics_module
from dashboard.services.metrics import ModelMetricsCollector, render_metrics
from dashboard.services.performance import load_alert_config, load_performance
from dashboard.store import Store

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
MIN_RANKING = 10   # the Performance page shows AUC where a month has at least 10 bads and 10 goods
DECIDED = ("approve", "decline", "review")


def _parse(text: str) -> Samples:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def _scrape(collector: ModelMetricsCollector) -> Samples:
    registry = CollectorRegistry()
    registry.register(collector)
    return _parse(generate_latest(registry).decode("utf-8"))


@functools.cache
def _raw_rows(root: Path, model: str) -> pd.DataFrame:
    """The model's logged rows joined to each application's latest outcome (read once per module)."""
    preds = pd.concat(pd.read_parquet(f) for f in sorted((root / "predictions" / f"model_id={model}")
                                                         .rglob("part-*.parquet")))
    outcomes = pd.concat(pd.read_parquet(f) for f in sorted((root / "outcomes").rglob("part-*.parquet")))
    label = outcomes.sort_values("outcome_timestamp", kind="stable").groupby("application_id")["label"].last()
    preds["ts"] = pd.to_datetime(preds["timestamp"])
    preds["day"] = preds["ts"].dt.normalize()
    preds["label"] = preds["application_id"].map(label)
    return preds


def _approval(rows: pd.DataFrame) -> float | None:
    decided = rows["decision"].isin(DECIDED)
    return float((rows["decision"] == "approve").sum() / decided.sum()) if decided.any() else None


def _decile_psi(ref: np.ndarray, cur: np.ndarray) -> float:
    """PSI over reference deciles cut on 0.001-wide score bins, written here with numpy."""
    fine_ref = np.bincount(np.minimum(np.floor(ref * 1000), 999).astype(int), minlength=1000).astype(float)
    fine_cur = np.bincount(np.minimum(np.floor(cur * 1000), 999).astype(int), minlength=1000).astype(float)
    share = np.cumsum(fine_ref) / fine_ref.sum()
    decile = np.clip(np.ceil(share * 10 - 1e-9) - 1, 0, 9).astype(int)  # the decile where each bin ends
    r = np.array([fine_ref[decile == d].sum() for d in range(10)])
    c = np.array([fine_cur[decile == d].sum() for d in range(10)])
    keep = r > 0
    pr, pc = r[keep] / r.sum(), c[keep] / c.sum()
    pr, pc = np.maximum(pr, 1e-4), np.maximum(pc, 1e-4)    # empty bins floored, as the credit convention does
    pr, pc = pr / pr.sum(), pc / pc.sum()
    return float(np.sum((pc - pr) * np.log(pc / pr)))


@pytest.fixture(scope="module")
def scraped(small_store_dir: Path) -> Samples:
    return _scrape(ModelMetricsCollector(small_store_dir, background=False))


@pytest.mark.parametrize("model", ["gbm_champion", "logit_scorecard", "hgb_challenger"])
def test_volumes_and_approval_rates_match_the_raw_rows(scraped: Samples, small_store_dir: Path, model: str) -> None:
    rows = _raw_rows(small_store_dir, model)
    last_day = rows[rows["day"] == rows["day"].max()]
    month = rows[rows["day"] > rows["day"].max() - pd.Timedelta(days=30)]
    assert _value(scraped, "dashboard_model_applications_total", model=model) == len(rows)
    assert _value(scraped, "dashboard_model_applications_last_day", model=model) == len(last_day)
    for window, part in (("last_day", last_day), ("last_30_days", month)):
        got = _value(scraped, "dashboard_model_approval_rate", model=model, window=window)
        expected = _approval(part)
        assert (got is None) == (expected is None)
        if expected is not None:
            assert got == pytest.approx(expected, abs=1e-12)
    newest = rows["ts"].max().tz_localize("UTC").timestamp()
    assert _value(scraped, "dashboard_model_last_log_timestamp_seconds", model=model) == pytest.approx(newest)
    age = _value(scraped, "dashboard_model_log_age_seconds", model=model)
    assert age is not None and 0 <= (time.time() - newest) - age <= 600  # computed at the scrape, before now


@pytest.mark.parametrize("model", ["gbm_champion", "logit_scorecard"])
def test_realized_auc_and_bad_rate_of_the_latest_matured_month(scraped: Samples, small_store_dir: Path,
                                                               model: str) -> None:
    rows = _raw_rows(small_store_dir, model)
    matured = rows[rows["label"].notna()].assign(month=lambda f: f["ts"].dt.to_period("M"))
    counts = matured.groupby("month")["label"].agg(["sum", "count"])
    ranked = counts[(counts["sum"] >= MIN_RANKING) & (counts["count"] - counts["sum"] >= MIN_RANKING)]
    latest = ranked.index.max()
    part = matured[matured["month"] == latest]
    assert _value(scraped, "dashboard_model_matured_month_timestamp_seconds", model=model) == \
        latest.start_time.tz_localize("UTC").timestamp()
    # AUC from 0.001-wide score bins: a good and a bad in one bin count half, so the exact AUC
    # lies within half the share of such pairs (the bound the Performance page states)
    y = part["label"].astype(int).to_numpy()
    per_bin = pd.crosstab(np.floor(part["score"].to_numpy() * 1000), y).reindex(columns=[0, 1], fill_value=0)
    ties = 0.5 * float((per_bin[0] * per_bin[1]).sum()) / float(y.sum() * (len(y) - y.sum()))
    assert _value(scraped, "dashboard_model_realized_auc", model=model) == pytest.approx(
        roc_auc_score(y, part["score"]), abs=max(1e-3, ties + 1e-9))
    assert _value(scraped, "dashboard_model_realized_bad_rate", model=model) == pytest.approx(
        part["label"].mean(), abs=1e-12)


@pytest.mark.parametrize("model", ["gbm_champion", "logit_scorecard"])
def test_score_psi_is_the_drift_pages_against_the_registered_reference(scraped: Samples, small_store: Store,
                                                                       small_store_dir: Path, model: str) -> None:
    rows = _raw_rows(small_store_dir, model)
    current = rows[rows["day"] > rows["day"].max() - pd.Timedelta(days=30)]["score"].to_numpy(dtype=float)
    reference = pd.read_parquet(small_store_dir / "models" / model / "reference.parquet")
    estimator = small_store.load_model(model)
    names = small_store.load_card(model).feature_names
    ref_scores = estimator.predict_proba(reference[names])[:, list(estimator.classes_).index(1)]
    got = _value(scraped, "dashboard_model_score_psi", model=model, reference="registered")
    assert got == pytest.approx(_decile_psi(ref_scores, current), abs=1e-9)


def test_alert_gauges_follow_the_apps_alerts(scraped: Samples, small_store: Store) -> None:
    config = load_alert_config()
    for model in ("gbm_champion", "logit_scorecard", "hgb_challenger"):
        current = load_performance(small_store, model, "month", config).current
        fired = dict(zip(current["rule"], current["severity"], strict=True))
        for rule in config.rules:
            level = {"warning": 1.0, "critical": 2.0}.get(fired.get(rule, ""), 0.0)
            assert _value(scraped, "dashboard_model_alert_severity", model=model, rule=rule) == level
            assert _value(scraped, "dashboard_model_alert_firing", model=model, rule=rule) == float(level > 0)
    assert _value(scraped, "dashboard_metrics_refresh_failures_total") == 0


def _plant_rejects(root: Path, rows: int) -> None:
    """A prediction file whose every row is rejected (scores out of range), ingested into the store."""
    from dashboard.ingest.service import ingest_prediction_files

    frame = pd.concat(pd.read_parquet(f) for f in sorted((root / "predictions" / "model_id=gbm_champion")
                                                         .rglob("part-*.parquet"))).head(rows)
    frame = frame.assign(model_id="gbm_champion", application_id=[f"reject-{i}" for i in range(rows)], score=7.5)
    path = root.parent / "rejects.csv"
    frame.to_csv(path, index=False)
    ingest_prediction_files(Store(root), [path])


def test_background_refresh_sees_a_new_quarantine(small_store_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    shutil.copytree(small_store_dir, root)
    collector = ModelMetricsCollector(root, background=True, interval=0.05)
    try:
        first = _scrape(collector)
        assert (_value(first, "dashboard_quarantine_ingests"), _value(first, "dashboard_quarantine_rows")) == (0, 0)
        _plant_rejects(root, 37)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _scrape(collector)
            if _value(now, "dashboard_quarantine_rows") == 37:
                break
            time.sleep(0.05)
        assert _value(now, "dashboard_quarantine_ingests") == 1
        assert _value(now, "dashboard_quarantine_rows") == 37
        assert _value(now, "dashboard_model_applications_total", model="gbm_champion") == \
            _value(first, "dashboard_model_applications_total", model="gbm_champion")
    finally:
        collector.close()


def test_an_empty_store_has_no_model_series(empty_store: Store) -> None:
    samples = _parse(render_metrics(empty_store.root))
    assert not [name for name, _ in samples if name.startswith("dashboard_model_")]
    assert _value(samples, "dashboard_quarantine_rows") == 0
    assert _value(samples, "dashboard_metrics_refresh_failures_total") == 0


def test_a_failed_refresh_is_logged_counted_and_the_scrape_still_answers(
        empty_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("rollup unreadable")

    monkeypatch.setattr(metrics_module, "compute_store_figures", broken)
    collector = ModelMetricsCollector(empty_store.root, background=False)
    with caplog.at_level(logging.ERROR, logger="dashboard.services.metrics"):
        samples = _scrape(collector)
        again = _scrape(collector)   # the same store: not retried within a minute, not logged again
    assert _value(samples, "dashboard_metrics_refresh_failures_total") == 1
    assert _value(again, "dashboard_metrics_refresh_failures_total") == 1
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == ["rollup unreadable"]
    assert not [name for name, _ in again if name.startswith("dashboard_model_")]


def test_one_failing_model_keeps_its_volumes_and_leaves_the_others(
        small_store_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    real = metrics_module._score_psi

    def psi_failing_for_logit(store: Store, model_id: str, span: tuple) -> tuple[float | None, str]:
        if model_id == "logit_scorecard":
            raise ValueError("artifact unreadable")
        return real(store, model_id, span)

    monkeypatch.setattr(metrics_module, "_score_psi", psi_failing_for_logit)
    with caplog.at_level(logging.ERROR, logger="dashboard.services.metrics"):
        samples = _scrape(ModelMetricsCollector(small_store_dir, background=False))
    assert "logit_scorecard" in caplog.text and "artifact unreadable" in caplog.text
    assert _value(samples, "dashboard_model_figures_ok", model="logit_scorecard") == 0
    assert _value(samples, "dashboard_model_figures_ok", model="gbm_champion") == 1
    assert _value(samples, "dashboard_model_applications_total", model="logit_scorecard") == \
        len(_raw_rows(small_store_dir, "logit_scorecard"))
    logit = [name for name, labels in samples if ("model", "logit_scorecard") in labels]
    assert not [n for n in logit if "psi" in n or "auc" in n or "alert" in n]   # unknown, not reported as 0
    assert _value(samples, "dashboard_model_score_psi", model="gbm_champion", reference="registered") is not None
