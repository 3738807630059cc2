"""Cached loaders and Streamlit helpers for the Performance page, live refresh and alerts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.analytics.alerts import AlertConfig, AlertConfigError
from dashboard.services.performance import (
    PerformanceView,
    alert_model_ids,
    alerts_config_path,
    combine_alerts,
    load_alert_config,
    load_performance,
)
from dashboard.services.stores import open_store as store_at
from dashboard.settings import SETTINGS, refresh_seconds

QUERY_TTL = 300        # seconds; keys hold the store version, so new data shows at once


def refresh_default() -> int:
    return refresh_seconds()


def config_key() -> str:
    """Changes when the alert rules file changes, so cached alerts follow an edit."""
    path = alerts_config_path()
    try:
        return f"{path}:{path.stat().st_mtime_ns}"
    except OSError:
        return f"{path}:missing"


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def _alert_config_cached(key: str) -> AlertConfig:
    return load_alert_config()


def load_alert_config_safe() -> tuple[AlertConfig | None, str | None]:
    """The alert rules, or None and a message naming the file and the bad key."""
    try:
        return _alert_config_cached(config_key()), None
    except (AlertConfigError, OSError) as exc:
        return None, str(exc)


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_performance_cached(store_path: str, version: str, model_id: str, grain: str, rules_key: str) -> PerformanceView:
    return load_performance(store_at(store_path), model_id, grain, _alert_config_cached(rules_key))


@st.cache_data(ttl=QUERY_TTL, show_spinner=False)
def load_all_alerts_cached(store_path: str, version: str, rules_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Through each model's cached monthly view: the Performance page then opens on a cache hit.
    views = [load_performance_cached(store_path, version, m, "month", rules_key)
             for m in alert_model_ids(store_at(store_path))]
    return combine_alerts(views)


def render_live_controls(key: str) -> float | None:
    """A pause toggle and the refresh interval; returns the interval in seconds, or None when paused."""
    left, right = st.columns([1, 2])
    live = left.toggle("Live refresh", value=True, key=f"{key}_live",
                       help="Re-read the store and redraw the figures below in place, without reloading the page. "
                            "Turn off to pause (for example while reading a chart).")
    interval = right.number_input("Refresh every (seconds)", min_value=2, max_value=3600, step=1,
                                  value=refresh_default(), key=f"{key}_interval", disabled=not live,
                                  help=f"Default {SETTINGS['DASHBOARD_REFRESH_SECONDS'].default} s; set "
                                       "DASHBOARD_REFRESH_SECONDS to change the default.")
    return float(interval) if live else None


def refreshed_caption(interval: float | None, last_ts: pd.Timestamp | None) -> str:
    stamp = pd.Timestamp.now(tz="UTC").tz_localize(None)
    data = f"latest prediction {last_ts:%Y-%m-%d %H:%M:%S}" if last_ts is not None and pd.notna(last_ts) \
        else "no prediction yet"
    mode = f"live, every {interval:g} s" if interval else "paused"
    return f"Read at {stamp:%H:%M:%S} UTC ({mode}); {data}."


def alerts_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns people read: time, model, rule, severity, value, threshold, message."""
    if frame.empty:
        return frame
    out = frame.copy()
    out["severity"] = out["severity"].str.upper()
    return out[["time", "period", "model", "rule", "severity", "value", "threshold", "message"]]


def render_alerts(now: pd.DataFrame, history: pd.DataFrame, where: str) -> None:
    """Alerts in force (each rule's latest month) and, folded, every alert fired so far."""
    config = {"time": st.column_config.DatetimeColumn("time", format="YYYY-MM-DD HH:mm"),
              "value": st.column_config.NumberColumn(format="%.3f"),
              "threshold": st.column_config.NumberColumn(format="%.3f")}
    if now.empty:
        st.success("No alert rule fails in the latest month.", icon=":material/check_circle:")
    else:
        critical = int((now["severity"] == "critical").sum())
        text = f"{len(now)} alert(s) in force" + (f", {critical} critical" if critical else "")
        (st.error if critical else st.warning)(text + ".", icon=":material/notifications_active:")
        st.dataframe(alerts_display(now), hide_index=True, width="stretch", column_config=config,
                     key=f"{where}_alerts_now")
    with st.expander(f"Alert history ({len(history)} fired)"):
        if history.empty:
            st.info("No rule has fired in the history of this store.")
        else:
            st.dataframe(alerts_display(history), hide_index=True, width="stretch", column_config=config,
                         key=f"{where}_alerts_history")
        st.caption(f"Rules and thresholds: `{alerts_config_path()}` (documented defaults; "
                   "set DASHBOARD_ALERTS_CONFIG to use another file).")
