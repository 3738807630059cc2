"""Named queries behind the Impact scorecard: rollup aggregates per window, never raw rows."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.analytics.impact_figures import WindowData, empty_groups, empty_scores
from dashboard.analytics.money import MONEY_COLUMNS
from dashboard.analytics.periods import Period
from dashboard.analytics.scorecard import Targets, parse_targets_toml
from dashboard.settings import config_path
from dashboard.store.layout import MONTH_ROLLUP_KEYS
from dashboard.store.store import Store
from dashboard.store.windows import window_source

OVERRIDE = "override"


def impact_targets_path() -> Path:
    return config_path("DASHBOARD_IMPACT_TARGETS")


def load_impact_targets(path: Path | None = None) -> Targets:
    """Targets from the TOML file; a missing or broken file gives no targets and a message."""
    chosen = path or impact_targets_path()
    try:
        text = chosen.read_text("utf-8")
    except OSError as exc:
        return Targets(problems=(f"no targets file could be read at {chosen} ({exc.strerror}); "
                                 "statuses show 'no target'",))
    return parse_targets_toml(text, str(chosen))


def load_data_span(store: Store, model_id: str) -> tuple[dt.date, dt.date] | None:
    frame = store.sql("SELECT min(date) AS lo, max(date) AS hi FROM r_daily WHERE model_id = ?", [model_id])
    lo, hi = frame["lo"].iloc[0], frame["hi"].iloc[0]
    if lo is None or pd.isna(lo):
        return None
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


Source = Callable[[dt.date, dt.date], tuple[str, list[Any]]]


def _by_window(store: Store, periods: Sequence[Period], source: Source, select: str) -> pd.DataFrame:
    """`select` (over alias t) aggregated per window, with a `label` column.

    `source(start, end)` gives a FROM subquery of the rows in [start, end] and its parameters.
    Calendar months (the trend) group by month in one pass; the few other windows (a quarter,
    a custom range, their previous periods) are one scan each.
    """
    months = [p for p in periods if p.kind == "month"]
    others = [p for p in periods if p.kind != "month"]
    parts = []
    if months:
        rows, params = source(min(p.start for p in months), max(p.end for p in months))
        frame = store.sql(f"SELECT strftime(t.date, '%Y-%m') AS label, {select} FROM {rows} t GROUP BY ALL", params)
        parts.append(frame[frame["label"].isin({p.label for p in months})])
    if others:
        # One scan per window (a range join is slower for so few windows).
        queries, params = [], []
        for p in others:
            rows, rows_params = source(p.start, p.end)
            queries.append(f"(SELECT ?::VARCHAR AS label, {select} FROM {rows} t GROUP BY ALL)")
            params += [p.label, *rows_params]
        parts.append(store.sql(" UNION ALL ".join(queries), params))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _model_rows(store: Store, kind: str, model_id: str) -> Source:
    """Rows of one model's rollup in a window: whole months from the month table where it has one."""
    def source(start: dt.date, end: dt.date) -> tuple[str, list[Any]]:
        if kind in MONTH_ROLLUP_KEYS:
            rows, params = window_source(store, kind, start, end)
            return f"(SELECT * FROM {rows} WHERE model_id = ?)", [*params, model_id]
        return f"(SELECT * FROM r_{kind} WHERE model_id = ? AND date BETWEEN ? AND ?)", [model_id, start, end]
    return source


def _daily_volume(start: dt.date, end: dt.date) -> tuple[str, list[Any]]:
    """Predictions of all models per day (the busiest day needs days, not months)."""
    return "(SELECT date, sum(n)::BIGINT AS n FROM r_daily WHERE date BETWEEN ? AND ? GROUP BY date)", [start, end]


def load_windows(store: Store, model_id: str, periods: Sequence[Period]) -> dict[str, WindowData]:
    """Aggregates of `model_id` for each window: a few queries, whatever the window count."""
    periods = list({p.label: p for p in periods}.values())
    if not periods:
        return {}
    money = ", ".join(f"coalesce(sum(t.{c}), 0)::BIGINT AS {c}" for c in MONEY_COLUMNS)
    scores = _by_window(store, periods, _model_rows(store, "scores", model_id),
                        f"t.decision, t.bin::INTEGER AS bin, {money}").sort_values(["label", "decision", "bin"])
    groups = _by_window(store, periods, _model_rows(store, "groups", model_id), """
        t.attribute, t.grp AS "group",
        coalesce(sum(t.n) FILTER (t.decision = 'approve'), 0)::BIGINT AS approved,
        coalesce(sum(t.n) FILTER (t.decision IN ('approve', 'decline', 'review')), 0)::BIGINT AS decided
        """).sort_values(["label", "attribute", "group"])
    latency = _by_window(store, periods, _model_rows(store, "latency", model_id), "t.bin, sum(t.n)::BIGINT AS n").sort_values(["label", "bin"])
    volume = _by_window(store, periods, _daily_volume, "sum(t.n)::BIGINT AS total, max(t.n)::BIGINT AS busiest")
    span = load_data_span(store, model_id)
    by_label = {name: part.drop(columns="label") for name, part in scores.groupby("label")}
    grp_by = {name: part.drop(columns="label") for name, part in groups.groupby("label")}
    lat_by = {name: part.drop(columns="label") for name, part in latency.groupby("label")}
    # A window without rows still yields one row of NULL sums: count it as zero.
    vol_by = {row.label: (int(row.total) if pd.notna(row.total) else 0,
                          int(row.busiest) if pd.notna(row.busiest) else 0) for row in volume.itertuples()}
    out = {}
    for p in periods:
        total, busiest = vol_by.get(p.label, (0, 0))
        out[p.label] = WindowData(
            scores=by_label[p.label].reset_index(drop=True) if p.label in by_label else empty_scores(),
            groups=grp_by.get(p.label, empty_groups()),
            latency=lat_by.get(p.label, pd.DataFrame(columns=["bin", "n"])),
            predictions_all_models=total, busiest_day_predictions=busiest,
            first_date=span[0] if span else None, last_date=span[1] if span else None)
    return out


_DECISION_DAYS: dict[tuple[str, str], dict[str, Any]] = {}
_DAYS_LOCK = threading.Lock()


def load_overrides(store: Store, model_id: str) -> list[dict[str, Any]]:
    """Override events of the model, each with `decided_at`: the day of the decision it changed.

    An override counts for the period of the decision, not of the day it was recorded; the
    dates come from the prediction log by application id (a keyed lookup, overrides are few).
    """
    events = [e for e in store.read_events(OVERRIDE) if e.get("model_id") in (None, "", model_id)]
    ids = sorted({str(e["application_id"]) for e in events if e.get("application_id")})
    with _DAYS_LOCK:
        days = _DECISION_DAYS.setdefault((str(store.root), model_id), {})
        missing = [i for i in ids if i not in days]
    source = store.predictions_source(store.prediction_files(model_id)) if missing else None
    if source:
        marks = ", ".join("?" for _ in missing)
        found = store.sql(f"SELECT application_id, min(date) AS day FROM {source} "
                          f"WHERE application_id IN ({marks}) GROUP BY 1", missing)
        with _DAYS_LOCK:
            # Logs are append-only, so a decision's day, once found, stays; only misses are asked again.
            days.update(zip(found["application_id"], found["day"], strict=True))
    out = []
    for event in events:
        day = days.get(str(event.get("application_id")))
        out.append({**event, "decided_at": str(pd.Timestamp(day).date())} if day is not None else dict(event))
    return out
