"""Per-model figures for Prometheus: a custom collector over the rollups, and its text exposition.

Every figure comes from the function the app shows it with: applications and approval rates
from the Overview's daily rollup (`analytics.overview.compute_period_summary`), score PSI from
the Drift page's default comparison (`services.drift.load_drift_inputs` and
`analytics.score_drift.compute_score_drift`: the registered reference data, else the first 90
days of logs, against the last 30 days), realized AUC and bad rate of the latest matured month
and the alerts in force from `services.performance` (the Performance page and
`dashboard report performance`). A refresh costs what those pages cost (rollups only, no raw
rows); a scrape only formats the cached figures, so it stays fast on any store size. The cache
is keyed by the store's version (rollup files, cards, events) and the quarantine folder.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dashboard.analytics.alerts import AlertConfig
from dashboard.analytics.overview import compute_period_summary
from dashboard.analytics.score_drift import compute_score_drift
from dashboard.services.drift import load_drift_inputs
from dashboard.services.overview import load_daily, load_latest_outcome
from dashboard.services.performance import load_alert_config, load_performance, performance_figures
from dashboard.store import open_store
from dashboard.store.registry import current_roles

if TYPE_CHECKING:
    from dashboard.store import Store

log = logging.getLogger(__name__)

REFERENCE_DAYS = 90   # the Drift page's default reference of the logs (ui/drift_page.py) when none is registered
CURRENT_DAYS = 30     # its default current window: the model's last 30 days of logs
SEVERITY_LEVEL = {"warning": 1, "critical": 2}
RETRY_SECONDS = 60.0  # a failed computation is retried this often while the store stays the same


@dataclass(frozen=True)
class ModelFigures:
    """One model's figures, as the app computes them (None where the app shows none)."""

    model_id: str
    name: str
    version: str
    role: str
    applications: int
    alerts: dict[str, int]                 # rule -> 0 ok, 1 warning, 2 critical (enabled rules only)
    applications_last_day: int = 0
    approval_rate_last_day: float | None = None
    approval_rate_last_30_days: float | None = None
    score_psi: float | None = None
    psi_reference: str = "none"            # "registered" (reference data) or "logs" (first days of the logs)
    matured_month: pd.Timestamp | None = None  # the latest month with a realized AUC
    auc: float | None = None
    bad_rate: float | None = None
    last_log: pd.Timestamp | None = None


@dataclass(frozen=True)
class StoreFigures:
    """Every model's figures and the store-wide ones, computed at one store version."""

    key: tuple[str, int]
    models: list[ModelFigures]
    quarantine_ingests: int
    quarantine_rows: int
    last_outcome: pd.Timestamp | None
    failed: tuple[str, ...] = ()           # models whose figures could not be computed (logged)
    computed_at: float = field(default_factory=time.time)
    seconds: float = 0.0


def figures_key(store: Store) -> tuple[str, int]:
    """What changes when a figure may change: rollup files, cards, events, quarantine folders."""
    return store.version(), store.quarantine_signature()


def _ratio(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _score_psi(store: Store, model_id: str, span: tuple[dt.date, dt.date]) -> tuple[float | None, str]:
    """The Drift page's score PSI with its default windows."""
    first, last = span
    current = (max(first, last - dt.timedelta(days=CURRENT_DAYS - 1)), last)
    registered = store.read_reference(model_id) is not None
    reference = None if registered else (first, min(last, first + dt.timedelta(days=REFERENCE_DAYS - 1)))
    inputs = load_drift_inputs(store, model_id, reference, current)
    psi = compute_score_drift(inputs.ref_scores, inputs.cur_scores, inputs.cutoff)["psi"]
    return _ratio(psi), "registered" if registered else "logs"


def _model_figures(store: Store, model_id: str, role: str, daily: pd.DataFrame,
                   config: AlertConfig) -> ModelFigures:
    card = store.load_card(model_id)
    own = daily[daily["model_id"] == model_id]
    blank = ModelFigures(model_id=model_id, name=card.name, version=str(card.version), role=role,
                         applications=int(own["n"].sum()), alerts=dict.fromkeys(_enabled_rules(config), 0))
    if own.empty:
        return blank
    days = pd.to_datetime(own["date"]).dt.date
    span = (days.min(), days.max())
    last_day = compute_period_summary(own, span[1], span[1])
    month = compute_period_summary(own, max(span[0], span[1] - dt.timedelta(days=CURRENT_DAYS - 1)), span[1])
    psi, reference = _score_psi(store, model_id, span)
    figures = performance_figures(load_performance(store, model_id, "month", config))
    matured = figures["latest_matured_month"]
    alerts = dict(blank.alerts)
    for alert in figures["alerts_now"]:
        level = SEVERITY_LEVEL.get(str(alert["severity"]), 0)
        alerts[str(alert["rule"])] = max(alerts.get(str(alert["rule"]), 0), level)
    return replace(
        blank, applications_last_day=last_day.applications, approval_rate_last_day=last_day.approval_rate,
        approval_rate_last_30_days=month.approval_rate, score_psi=psi, psi_reference=reference,
        matured_month=None if matured is None else pd.Timestamp(matured["period"]),
        auc=None if matured is None else _ratio(matured["auc"]),
        bad_rate=None if matured is None else _ratio(matured["bad_rate"]),
        alerts=alerts, last_log=pd.Timestamp(own["last_ts"].max()))


def _enabled_rules(config: AlertConfig) -> list[str]:
    return [name for name, rule in config.rules.items() if rule.enabled]


def compute_store_figures(store: Store, config: AlertConfig) -> StoreFigures:
    """Every registered model's figures (reads the rollups; what a refresh costs).

    A model whose figures fail (an unreadable artifact, say) is logged and keeps only its
    volumes and freshness, so one broken model does not blind the others."""
    start = time.perf_counter()
    key = figures_key(store)
    daily = load_daily(store)
    roles = current_roles(store)
    models, failed = [], []
    for model_id, card in sorted(store.list_cards().items()):
        role = roles.get(model_id, card.role)
        try:
            models.append(_model_figures(store, model_id, role, daily, config))
        except Exception:
            log.exception("computing the metrics of model %s in %s failed", model_id, store.root)
            failed.append(model_id)
            models.append(_volumes_only(model_id, card.name, str(card.version), role, daily, config))
    ingests, rows = store.quarantine_size()
    return StoreFigures(key=key, models=models, quarantine_ingests=ingests, quarantine_rows=rows,
                        last_outcome=load_latest_outcome(store), failed=tuple(failed),
                        seconds=time.perf_counter() - start)


def _volumes_only(model_id: str, name: str, version: str, role: str, daily: pd.DataFrame,
                  config: AlertConfig) -> ModelFigures:
    own = daily[daily["model_id"] == model_id]
    return ModelFigures(model_id=model_id, name=name, version=version, role=role,
                        applications=int(own["n"].sum()), alerts=dict.fromkeys(_enabled_rules(config), 0),
                        last_log=pd.Timestamp(own["last_ts"].max()) if not own.empty else None)


def _epoch(ts: pd.Timestamp | None) -> float | None:
    if ts is None or pd.isna(ts):
        return None
    stamp = pd.Timestamp(ts)
    return float((stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).timestamp())


def _gauge(name: str, doc: str, labels: list[str], rows: list[tuple[list[str], float | None]],
           unit: str = "") -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels, unit=unit)
    for values, value in rows:
        if value is not None:
            family.add_metric(values, value)
    return family


def describe_models(figures: StoreFigures, now: float) -> Iterator[Metric]:
    """The per-model metric families (absent values are left out, as Prometheus expects)."""
    ms = figures.models
    yield _gauge("dashboard_model_info", "Registered model: name, version and role (value 1)",
                 ["model", "name", "version", "role"], [([m.model_id, m.name, m.version, m.role], 1.0) for m in ms])
    apps = CounterMetricFamily("dashboard_model_applications", "Applications scored (all logged days)",
                               labels=["model"])
    for m in ms:
        apps.add_metric([m.model_id], m.applications)
    yield apps
    yield _gauge("dashboard_model_applications_last_day", "Applications on the model's newest day of logs",
                 ["model"], [([m.model_id], float(m.applications_last_day)) for m in ms])
    yield _gauge("dashboard_model_approval_rate", "Approved share of decided applications (last day, last 30 days "
                 "of the model's logs)", ["model", "window"],
                 [([m.model_id, w], v) for m in ms for w, v in (("last_day", m.approval_rate_last_day),
                                                                 ("last_30_days", m.approval_rate_last_30_days))])
    yield _gauge("dashboard_model_score_psi", "Score PSI (reference deciles), last 30 days of logs against the "
                 "reference (as the Drift page)", ["model", "reference"],
                 [([m.model_id, m.psi_reference], m.score_psi) for m in ms])
    yield _gauge("dashboard_model_realized_auc", "Realized AUC of the latest matured month (approved loans with "
                 "a matured outcome)", ["model"], [([m.model_id], m.auc) for m in ms])
    yield _gauge("dashboard_model_realized_bad_rate", "Bad rate of the latest matured month", ["model"],
                 [([m.model_id], m.bad_rate) for m in ms])
    yield _gauge("dashboard_model_matured_month_timestamp_seconds", "Start of the latest matured month",
                 ["model"], [([m.model_id], _epoch(m.matured_month)) for m in ms])
    alert_rows = [(m.model_id, rule, level) for m in ms if m.model_id not in figures.failed
                  for rule, level in sorted(m.alerts.items())]
    yield _gauge("dashboard_model_alert_firing", "Alert rule in force now (1 fired, 0 ok)", ["model", "rule"],
                 [([mid, rule], float(level > 0)) for mid, rule, level in alert_rows])
    yield _gauge("dashboard_model_alert_severity", "Alert rule severity now (0 ok, 1 warning, 2 critical)",
                 ["model", "rule"], [([mid, rule], float(level)) for mid, rule, level in alert_rows])
    yield _gauge("dashboard_model_figures_ok", "The model's figures were computed (0: failed, see the log)",
                 ["model"], [([m.model_id], float(m.model_id not in figures.failed)) for m in ms])
    yield _gauge("dashboard_model_last_log_timestamp_seconds", "Time of the model's newest logged prediction",
                 ["model"], [([m.model_id], _epoch(m.last_log)) for m in ms])
    yield _gauge("dashboard_model_log_age_seconds", "Seconds since the model's newest logged prediction",
                 ["model"], [([m.model_id], _age(m.last_log, now)) for m in ms])


def _age(ts: pd.Timestamp | None, now: float) -> float | None:
    epoch = _epoch(ts)
    return None if epoch is None else max(now - epoch, 0.0)


def describe_store(figures: StoreFigures | None, now: float, failures: int) -> Iterator[Metric]:
    """The store-wide families: quarantine, outcomes' freshness and the collector's own refresh."""
    if figures is not None:
        yield _gauge("dashboard_quarantine_ingests", "Ingests with rejected rows kept in quarantine (folders)",
                     [], [([], float(figures.quarantine_ingests))])
        yield _gauge("dashboard_quarantine_rows", "Rejected rows kept in quarantine", [],
                     [([], float(figures.quarantine_rows))])
        yield _gauge("dashboard_outcomes_last_log_timestamp_seconds", "Time of the newest logged outcome", [],
                     [([], _epoch(figures.last_outcome))])
        yield _gauge("dashboard_outcomes_log_age_seconds", "Seconds since the newest logged outcome", [],
                     [([], _age(figures.last_outcome, now))])
        yield _gauge("dashboard_metrics_refresh_timestamp_seconds", "When the figures were last computed", [],
                     [([], figures.computed_at)])
        yield _gauge("dashboard_metrics_refresh_duration_seconds", "How long the last computation took", [],
                     [([], figures.seconds)])
    errors = CounterMetricFamily("dashboard_metrics_refresh_failures", "Failed computations of the figures")
    errors.add_metric([], failures)
    yield errors


class ModelMetricsCollector(Collector):
    """Per-model figures of a store for a prometheus-client registry.

    Figures are computed when the store changes (its version and quarantine folder): with
    `background=True` a daemon thread checks every `interval` seconds and recomputes, so a
    scrape only formats the cached figures; without it a scrape checks the version and
    recomputes when it changed. The first scrape computes once either way. A failed
    computation is logged, counted (dashboard_metrics_refresh_failures_total) and the last
    figures are kept.
    """

    def __init__(self, store_dir: str | Path | None, alerts_config: str | Path | AlertConfig | None = None,
                 background: bool = True, interval: float = 5.0) -> None:
        self._store = open_store(store_dir, create=False)
        self._config = alerts_config if isinstance(alerts_config, AlertConfig) else load_alert_config(
            None if alerts_config is None else Path(alerts_config))
        self._interval = interval
        self._figures: StoreFigures | None = None
        self._failures = 0
        self._failed: tuple[tuple[str, int] | None, float] | None = None   # the key that failed, and when
        self._lock = threading.Lock()       # one computation at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._watch, name="model-metrics", daemon=True)
            self._thread.start()

    def _refresh(self) -> None:
        with self._lock:
            key = None
            try:
                key = figures_key(self._store)
                if self._figures is not None and key == self._figures.key:
                    return
                if self._failed is not None and self._failed[0] == key and \
                        time.monotonic() - self._failed[1] < RETRY_SECONDS:
                    return  # the same store failed a moment ago: do not fill the log every interval
                self._figures = compute_store_figures(self._store, self._config)
                self._failed = None
            except Exception:
                self._failures += 1
                self._failed = (key, time.monotonic())
                log.exception("computing the model metrics of %s failed", self._store.root)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._refresh()
            self._stop.wait(self._interval)

    def describe(self) -> Iterator[Metric]:
        """The families' names without computing anything (the registry checks them for clashes)."""
        empty = StoreFigures(key=("", 0), models=[], quarantine_ingests=0, quarantine_rows=0, last_outcome=None)
        yield from describe_models(empty, 0.0)
        yield from describe_store(empty, 0.0, 0)

    def collect(self) -> Iterator[Metric]:
        if self._thread is None or self._figures is None:
            self._refresh()
        figures, now = self._figures, time.time()
        if figures is not None:
            yield from describe_models(figures, now)
        yield from describe_store(figures, now, self._failures)

    def close(self) -> None:
        """Stop the background thread (it is a daemon: a process may also just exit)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def render_metrics(store_dir: str | Path | None, alerts_config: str | Path | AlertConfig | None = None) -> str:
    """The Prometheus text exposition of the store's per-model figures (computed once, no thread)."""
    registry = CollectorRegistry()
    registry.register(ModelMetricsCollector(store_dir, alerts_config, background=False))
    return generate_latest(registry).decode("utf-8")


__all__ = ["ModelFigures", "ModelMetricsCollector", "StoreFigures", "compute_store_figures", "figures_key",
           "render_metrics"]
