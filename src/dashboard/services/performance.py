"""The Performance page's, the alerts' and `dashboard report performance`'s figures for one model.

Owns what turns the rollups into those figures: the calibration fitted on the reference window,
the estimate for months without matured outcomes, validation, PSI, latency percentiles and the
alert rules evaluated on the monthly view. The rollup reads are `store.performance`'s named
queries; every figure is computed by the pure functions of `analytics`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.analytics.alerts import AlertConfig, current_alerts, evaluate_alerts
from dashboard.analytics.estimation import (
    EstimationError,
    compute_estimates,
    compute_validation,
    fit_calibration,
    pool_cube,
)
from dashboard.analytics.performance import (
    GRAINS,
    LATENCY_BOUND,
    HistogramCube,
    as_datetime,
    compute_calibration_curve,
    compute_cube,
    compute_latency_percentiles,
    compute_period_metrics,
    compute_psi_by_period,
    compute_score_distribution,
    cutoffs_for_periods,
    period_ends,
)
from dashboard.store.performance import (
    alert_model_ids,
    alerts_config_path,
    load_alert_config,
    load_latency_histograms,
    load_notification_config,
    load_period_volumes,
    load_reference_histogram,
    load_reference_window,
    load_score_histograms,
)
from dashboard.store.policy import policy_history, policy_in_force
from dashboard.store.registry import current_roles

if TYPE_CHECKING:
    from dashboard.store import Store

MIN_VALIDATION_LABELS = 200
MIN_RANKING_BADS = 10  # AUC, KS and Gini need this many bads (and goods) in a period to be shown


@dataclass
class PerformanceView:
    """Everything the page and the report show for one model (small frames only)."""

    model_id: str
    grain: str
    periods: pd.DataFrame                  # per period: volume, realized metrics, estimate, PSI, latency
    monthly: pd.DataFrame                  # the same by month (alerts and validation use months)
    validation_month: pd.DataFrame
    validation_quarter: pd.DataFrame
    alerts: pd.DataFrame                   # every fired alert in the history
    current: pd.DataFrame                  # alerts in force now (each rule's latest month)
    calibration_curve: pd.DataFrame        # reliability: reference window vs matured outcomes since
    score_distribution: pd.DataFrame       # reference window vs latest period, coarse bins
    reference: str
    cutoff: float
    policy_version: int
    validation_auc: float | None
    role: str
    estimate_note: str | None = None       # why there is no estimate, when there is none
    calibration_labels: int = 0
    notes: list[str] = field(default_factory=list)


def _dense(frame: pd.DataFrame, col: str, bins: int = 1000) -> np.ndarray:
    out = np.zeros(bins)
    if not frame.empty:
        np.add.at(out, frame["bin"].to_numpy(dtype=np.int64), frame[col].to_numpy(dtype=float))
    return out


def _days_covered(periods: pd.DataFrame, grain: str) -> list[int]:
    """Calendar days of each period that the log covers (partial first and last periods)."""
    if periods.empty:
        return []
    first = pd.Timestamp(periods["first_day"].min())
    last = pd.Timestamp(periods["last_day"].max())
    out = []
    for p, end_of in zip(periods["period"], period_ends(list(periods["period"]), grain), strict=True):
        start = max(pd.Timestamp(p), first)
        end = min(end_of.normalize(), last)
        out.append(max((end - start).days + 1, 0))
    return out


def _summary(store: Store, model_id: str, grain: str, history: list[tuple[str | None, float]],
             window: tuple[dt.date, dt.date] | None, ref_hist: pd.DataFrame,
             calibration: Any) -> tuple[pd.DataFrame, HistogramCube, list[float]]:
    cube = compute_cube(load_score_histograms(store, model_id, grain))
    cutoffs = cutoffs_for_periods(cube.periods, grain, history)
    per = load_period_volumes(store, model_id, grain)
    per["period"] = as_datetime(per["period"])
    per["days"] = _days_covered(per, grain)
    per = per.set_index("period").reindex(cube.periods)
    metrics = compute_period_metrics(cube, cutoffs, granted=per["granted"].fillna(0).to_numpy(),
                                     min_bads=MIN_RANKING_BADS)
    metrics["last_ts"] = per["last_ts"].to_numpy()
    metrics["days"] = per["days"].fillna(0).astype(int).to_numpy()
    metrics["psi"] = compute_psi_by_period(cube, _dense(ref_hist, "n")) if not ref_hist.empty else None
    metrics["in_reference"] = [window is not None and p.date() < window[1] for p in cube.periods]
    if calibration is not None:
        est = compute_estimates(cube, calibration, cutoffs).drop(columns=["period"])
        metrics = pd.concat([metrics, est], axis=1)
    else:
        for col in ("estimate_population", "expected_auc", "expected_bad_rate", "expected_auc_all", "tp", "fp",
                    "fn", "tn", "expected_precision", "expected_recall"):
            metrics[col] = np.nan
    lat = compute_latency_percentiles(load_latency_histograms(store, model_id, grain))
    if not lat.empty:
        metrics = metrics.merge(lat.rename(columns={"p50": "latency_p50", "p95": "latency_p95"}),
                                on="period", how="left")
    else:
        metrics["requests"] = np.nan
        metrics["latency_p50"] = np.nan
        metrics["latency_p95"] = np.nan
        metrics["latency_note"] = None
    return metrics, cube, cutoffs


def load_performance(store: Store, model_id: str, grain: str = "month",
                     config: AlertConfig | None = None) -> PerformanceView:
    """Realized and estimated performance, validation and alerts for one model."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, got {grain!r}")
    config = config or load_alert_config()
    card = store.load_card(model_id)
    policy = policy_in_force(store, model_id)
    history = [(p.effective_at, p.cutoff) for p in policy_history(store, model_id)]
    window = load_reference_window(store, model_id, config.reference_months)
    ref_hist = load_reference_histogram(store, model_id, window) if window else pd.DataFrame(
        columns=["bin", "n", "n_labelled", "n_bad"])
    reference = (f"{window[0]:%Y-%m} to {(pd.Timestamp(window[1]) - pd.Timedelta(days=1)):%Y-%m}"
                 if window else "none")
    calibration = None
    note = None
    if window is not None:
        labelled, bads = _dense(ref_hist, "n_labelled"), _dense(ref_hist, "n_bad")
        try:
            calibration = fit_calibration(labelled - bads, bads, reference)
        except EstimationError as exc:
            note = str(exc)
    else:
        note = "no prediction logs for this model yet"

    monthly, mcube, mcutoffs = _summary(store, model_id, "month", history, window, ref_hist, calibration)
    periods = monthly if grain == "month" else _summary(store, model_id, grain, history, window, ref_hist,
                                                         calibration)[0]
    validation_auc = card.validation_metrics.get("auc")
    alerts = evaluate_alerts(monthly, model_id, config, validation_auc)
    val_month = val_quarter = pd.DataFrame()
    if calibration is not None and mcube.periods:
        labels = [p.strftime("%Y-%m") for p in mcube.periods]
        val_month = compute_validation(mcube, calibration, mcutoffs, labels, MIN_VALIDATION_LABELS)
        quarters = [f"{p.year}-Q{(p.month - 1) // 3 + 1}" for p in mcube.periods]
        qlabels, qcube = pool_cube(mcube, quarters)
        qcutoffs = [mcutoffs[quarters.index(q)] for q in qlabels]
        val_quarter = compute_validation(qcube, calibration, qcutoffs, qlabels, MIN_VALIDATION_LABELS)
    ref_g = _dense(ref_hist, "n_labelled") - _dense(ref_hist, "n_bad")
    ref_b = _dense(ref_hist, "n_bad")
    in_ref = np.array(monthly["in_reference"], dtype=bool) if len(monthly) else np.zeros(0, bool)
    since = mcube.pooled(~in_ref) if (~in_ref).any() else None
    curves = [compute_calibration_curve(ref_g, ref_b).assign(cohort=f"reference {reference}")]
    if since is not None and since.n_labelled.sum() > 0:
        curves.append(compute_calibration_curve(since.goods[0], since.n_bad[0]).assign(
            cohort="matured outcomes after the reference"))
    dist = [compute_score_distribution(_dense(ref_hist, "n")).assign(cohort=f"reference {reference}")] \
        if not ref_hist.empty else []
    if mcube.periods:
        dist.append(compute_score_distribution(mcube.n[-1]).assign(
            cohort=f"latest month {mcube.periods[-1]:%Y-%m}"))
    return PerformanceView(
        model_id=model_id, grain=grain, periods=periods, monthly=monthly, validation_month=val_month,
        validation_quarter=val_quarter, alerts=alerts, current=current_alerts(alerts, monthly, config),
        calibration_curve=pd.concat(curves, ignore_index=True),
        score_distribution=pd.concat(dist, ignore_index=True) if dist else pd.DataFrame(
            columns=["score_from", "share", "cohort"]),
        reference=reference, cutoff=policy.cutoff, policy_version=policy.version, validation_auc=validation_auc,
        role=current_roles(store).get(model_id, card.role), estimate_note=note,
        calibration_labels=calibration.labelled if calibration else 0)


def combine_alerts(views: list[PerformanceView]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(alerts in force now, every fired alert, newest first) across the models' monthly views."""
    empty = pd.DataFrame(columns=["time", "period", "model", "rule", "severity", "value", "threshold", "message"])
    cat = [v.current for v in views if not v.current.empty]
    hist = [v.alerts for v in views if not v.alerts.empty]
    return (pd.concat(cat, ignore_index=True) if cat else empty,
            pd.concat(hist, ignore_index=True).sort_values("time", ascending=False) if hist else empty)


def load_all_alerts(store: Store, config: AlertConfig | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(alerts in force now, every fired alert) across registered models with logs."""
    config = config or load_alert_config()
    return combine_alerts([load_performance(store, m, "month", config) for m in alert_model_ids(store)])


def performance_figures(view: PerformanceView) -> dict[str, Any]:
    """The headline figures of a view as plain JSON-able values (for the CLI report)."""
    def clean(v: Any) -> Any:
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return None
        if isinstance(v, pd.Timestamp):
            return v.isoformat()
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (np.floating,)):
            return None if not np.isfinite(v) else float(v)
        return v

    m = view.monthly
    matured = m[m["auc"].notna()] if not m.empty else m
    latest = m.iloc[-1] if not m.empty else None
    last_matured = matured.iloc[-1] if not matured.empty else None
    cols = ["period", "applications", "approval_rate", "labelled", "label_maturity", "bad_rate", "auc", "auc_bound",
            "ks", "ks_bound", "gini", "brier", "expected_auc", "expected_bad_rate", "psi", "latency_p50",
            "latency_p95", "latency_note"]
    return {
        "model": view.model_id, "role": view.role, "cutoff_in_force": view.cutoff,
        "policy_version": view.policy_version, "validation_auc": view.validation_auc,
        "reference_window": view.reference, "population": "approved applications with a matured outcome",
        "latest_month": None if latest is None else {c: clean(latest.get(c)) for c in cols},
        "latest_matured_month": None if last_matured is None else {c: clean(last_matured.get(c)) for c in cols},
        "months": [{c: clean(r.get(c)) for c in cols} for r in m.to_dict("records")],
        "alerts_now": [{k: clean(v) for k, v in r.items()} for r in view.current.to_dict("records")],
        "alerts_fired": int(len(view.alerts)),
        "estimate_note": view.estimate_note,
        "latency_percentiles": LATENCY_BOUND,
        "ranking_bounds": "auc_bound: the exact AUC lies within +-auc_bound of auc (score pairs tied in a 0.001 "
                          "bin); ks_bound: the exact KS lies between ks and ks + ks_bound",
    }


__all__ = ["MIN_RANKING_BADS", "MIN_VALIDATION_LABELS", "PerformanceView", "alert_model_ids",
           "alerts_config_path", "combine_alerts", "load_alert_config", "load_all_alerts",
           "load_notification_config", "load_performance", "performance_figures"]
