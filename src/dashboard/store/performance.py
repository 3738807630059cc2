"""Named queries behind the Performance page, the alerts and `dashboard report performance`,
and the alert rules file. `services.performance` combines them with the estimate and the alerts.

Everything reads the rollups (r_scores, r_daily, r_latency): the cost grows with
periods x score bins, never with the number of applications.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from dashboard.analytics.alert_channels import NotificationConfig, parse_notification_config_toml
from dashboard.analytics.alerts import AlertConfig, parse_alert_config_toml
from dashboard.settings import config_path
from dashboard.store.store import Store
from dashboard.store.windows import window_source


def alerts_config_path() -> Path:
    return config_path("DASHBOARD_ALERTS_CONFIG")


def load_alert_config(path: Path | None = None) -> AlertConfig:
    """The alert rules; raises AlertConfigError naming the file and key on a bad value."""
    chosen = path or alerts_config_path()
    return parse_alert_config_toml(chosen.read_text("utf-8"), str(chosen))


def load_notification_config(path: Path | None = None) -> NotificationConfig:
    """The alert rules file's channels and routes; raises AlertConfigError naming the file and key."""
    chosen = path or alerts_config_path()
    return parse_notification_config_toml(chosen.read_text("utf-8"), str(chosen))


def load_score_histograms(store: Store, model_id: str, grain: str) -> pd.DataFrame:
    """Per period (day, week or month start) and score bin: all, approved, decided, labelled and bad."""
    table = "r_scores_month" if grain == "month" else "r_scores"  # a month's rows are summed already
    return store.sql(f"""
        SELECT date_trunc('{grain}', date)::TIMESTAMP AS period, bin,
               sum(n)::DOUBLE AS n,
               coalesce(sum(n) FILTER (WHERE decision = 'approve'), 0)::DOUBLE AS n_approve,
               coalesce(sum(n) FILTER (WHERE decision <> 'none'), 0)::DOUBLE AS n_decided,
               sum(n_labelled)::DOUBLE AS n_labelled, sum(n_bad)::DOUBLE AS n_bad
        FROM {table} WHERE model_id = ? GROUP BY ALL ORDER BY period, bin""", [model_id])


def load_period_volumes(store: Store, model_id: str, grain: str) -> pd.DataFrame:
    """Per period: first and last day and timestamp of the model's logs, and loans granted that period."""
    # Loans granted per day come from whichever model decided (max over models: a shadow
    # model has n_approve = 0), so a challenger's label maturity is measured right.
    return store.sql(f"""
        WITH mine AS (
            SELECT date_trunc('{grain}', date)::TIMESTAMP AS period, min(date) AS first_day, max(date) AS last_day,
                   max(last_ts) AS last_ts
            FROM r_daily WHERE model_id = ? GROUP BY 1),
        granted AS (
            SELECT date_trunc('{grain}', date)::TIMESTAMP AS period, sum(a)::DOUBLE AS granted
            FROM (SELECT date, max(n_approve) AS a FROM r_daily GROUP BY date) GROUP BY 1)
        SELECT mine.*, coalesce(granted.granted, 0) AS granted FROM mine LEFT JOIN granted USING (period)
        ORDER BY period""", [model_id])


def load_latency_histograms(store: Store, model_id: str, grain: str) -> pd.DataFrame:
    """Per period and latency bin: requests."""
    return store.sql(f"""
        SELECT date_trunc('{grain}', date)::TIMESTAMP AS period, bin, sum(n)::BIGINT AS n
        FROM r_latency WHERE model_id = ? GROUP BY ALL ORDER BY period, bin""", [model_id])


def load_reference_window(store: Store, model_id: str, months: int) -> tuple[dt.date, dt.date] | None:
    """[first month of the model's logs, `months` later): the reference the estimate is fitted on."""
    first = store.sql("SELECT min(date) AS d FROM r_daily WHERE model_id = ?", [model_id])["d"].iloc[0]
    if first is None or pd.isna(first):
        return None
    start = pd.Timestamp(first).to_period("M").start_time
    return start.date(), (start + pd.DateOffset(months=months)).date()


def load_reference_histogram(store: Store, model_id: str, window: tuple[dt.date, dt.date]) -> pd.DataFrame:
    """Per score bin over [window[0], window[1]): all, labelled and bad."""
    rows, params = window_source(store, "scores", window[0], window[1] - dt.timedelta(days=1))
    return store.sql(f"""
        SELECT bin, sum(n)::DOUBLE AS n, sum(n_labelled)::DOUBLE AS n_labelled, sum(n_bad)::DOUBLE AS n_bad
        FROM {rows} WHERE model_id = ? GROUP BY bin ORDER BY bin""", [*params, model_id])


def alert_model_ids(store: Store) -> list[str]:
    """Registered models with logs: the ones whose alerts are evaluated."""
    with_logs = set(store.sql("SELECT DISTINCT model_id FROM r_daily")["model_id"])
    return [m for m in sorted(store.list_cards()) if m in with_logs]


def count_predictions(store: Store, model_id: str | None = None) -> int:
    """Scored applications in the rollups (what the page's figures add up to)."""
    where = "WHERE model_id = ?" if model_id else ""
    value = store.sql(f"SELECT coalesce(sum(n), 0) AS n FROM r_daily {where}", [model_id] if model_id else [])
    return int(value["n"].iloc[0])
