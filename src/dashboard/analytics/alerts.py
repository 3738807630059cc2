"""Alert rules (from config/alerts.toml) evaluated on monthly performance summaries (pure).

Each rule has a warning and a critical threshold; a period that crosses one fires an alert
with the time, model, rule, severity, value and threshold. Rules are evaluated on every
month, so the history of fired alerts is shown, and the latest month decides the exit
code of `dashboard report performance`.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.errors import DashboardError

SEVERITIES = ("warning", "critical")


class AlertConfigError(DashboardError, ValueError):
    """A bad value in the alert configuration, named by section and key."""


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    warning: float
    critical: float
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def severity(self, value: float | None) -> str | None:
        """'critical', 'warning' or None; every rule fires when the value rises above a threshold."""
        if value is None or not np.isfinite(value) or not self.enabled:
            return None
        if value > self.critical:
            return "critical"
        if value > self.warning:
            return "warning"
        return None


@dataclass(frozen=True)
class AlertConfig:
    reference_months: int
    rules: dict[str, Rule]

    def to_dict(self) -> dict[str, Any]:
        return {"reference_months": self.reference_months, "rules": {k: asdict(v) for k, v in self.rules.items()}}


# name -> (description, default warning, default critical, default options)
DEFAULT_RULES: dict[str, tuple[str, float, float, dict[str, Any]]] = {
    "auc_drop": ("Realized AUC below the card's validation AUC, carried over to the approved population",
                 0.05, 0.10, {"min_bad_labels": 150}),
    "score_psi": ("PSI of the score distribution (reference deciles) against the reference window",
                  0.10, 0.25, {"min_applications": 300}),
    "approval_rate_change": ("Change of the approval rate against the previous month, in rate points",
                             0.05, 0.10, {}),
    "volume_drop": ("Fall of the daily application volume against the previous month, as a share",
                    0.30, 0.60, {}),
    "latency_p95": ("95th percentile of scoring latency in milliseconds", 250.0, 1000.0, {}),
}


def parse_alert_config(data: dict[str, Any], source: str = "alerts config") -> AlertConfig:
    """Defaults, overridden by the file's [reference] and [rules.<name>] sections."""
    problems: list[str] = []
    ref = data.get("reference", {})
    months = ref.get("months", 6) if isinstance(ref, dict) else 6
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        problems.append(f"[reference] months must be a whole number >= 1, got {months!r}")
        months = 6
    section = data.get("rules", {})
    if not isinstance(section, dict):
        raise AlertConfigError(f"{source}: [rules] must be a table")
    unknown = sorted(set(section) - set(DEFAULT_RULES))
    if unknown:
        problems.append(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(DEFAULT_RULES)}")
    rules = {}
    for name, (desc, warn, crit, opts) in DEFAULT_RULES.items():
        raw = section.get(name, {})
        if not isinstance(raw, dict):
            problems.append(f"[rules.{name}] must be a table")
            raw = {}
        values: dict[str, Any] = {"warning": warn, "critical": crit, **opts}
        for key, value in raw.items():
            if key == "channels":   # where a fired rule is sent: checked by analytics.alert_channels
                continue
            if key == "enabled":
                if not isinstance(value, bool):
                    problems.append(f"[rules.{name}] enabled must be true or false, got {value!r}")
                continue
            if key not in values:
                problems.append(f"[rules.{name}] unknown key {key!r}; known: enabled, channels, "
                                f"{', '.join(values)}")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append(f"[rules.{name}] {key} must be a non-negative number, got {value!r}")
                continue
            values[key] = float(value) if key in ("warning", "critical") else value
        if values["critical"] < values["warning"]:
            problems.append(f"[rules.{name}] critical ({values['critical']}) is below warning ({values['warning']})")
        rules[name] = Rule(name, desc, float(values.pop("warning")), float(values.pop("critical")),
                           bool(raw.get("enabled", True)) if isinstance(raw.get("enabled", True), bool) else True,
                           values)
    if problems:
        raise AlertConfigError(f"{source}: " + "; ".join(problems))
    return AlertConfig(months, rules)


def parse_alert_config_toml(text: str, source: str = "alerts config") -> AlertConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AlertConfigError(f"{source}: not valid TOML: {exc}") from None
    return parse_alert_config(data, source)


ALERT_COLUMNS = ["time", "period", "model", "rule", "severity", "value", "threshold", "message"]


def _alert(row: dict[str, Any], model_id: str, rule: Rule, severity: str, value: float, text: str) -> dict[str, Any]:
    threshold = rule.critical if severity == "critical" else rule.warning
    return {"time": pd.Timestamp(row["last_ts"]) if pd.notna(row.get("last_ts")) else pd.Timestamp(row["period"]),
            "period": pd.Timestamp(row["period"]).strftime("%Y-%m"), "model": model_id, "rule": rule.name,
            "severity": severity, "value": float(value), "threshold": threshold, "message": text}


Row = dict[str, Any]


def _auc_drop(row: Row, model_id: str, rule: Rule, validation_auc: float | None) -> Row | None:
    if (validation_auc is None or pd.isna(row.get("auc")) or row.get("bads", 0) < rule.options.get("min_bad_labels", 0)
            or pd.isna(row.get("expected_auc")) or pd.isna(row.get("expected_auc_all"))):
        return None
    # Carry the validation AUC over to the approved population: truncating the score range
    # lowers AUC by (expected AUC through the door - expected AUC on approved).
    baseline = validation_auc - (row["expected_auc_all"] - row["expected_auc"])
    drop = baseline - row["auc"]
    sev = rule.severity(drop)
    return _alert(row, model_id, rule, sev, drop,
                  f"realized AUC {row['auc']:.3f} on {int(row['bads'])} matured bads vs {baseline:.3f} expected "
                  f"from the validation AUC {validation_auc:.3f}") if sev else None


def _score_psi(row: Row, model_id: str, rule: Rule) -> Row | None:
    if row.get("in_reference", False) or pd.isna(row.get("psi")) \
            or row.get("applications", 0) < rule.options.get("min_applications", 0):
        return None
    sev = rule.severity(row["psi"])
    return _alert(row, model_id, rule, sev, row["psi"], f"score PSI {row['psi']:.3f} against the reference window") \
        if sev else None


def _approval_change(row: Row, prev: Row, model_id: str, rule: Rule) -> Row | None:
    if row.get("decided", 0) <= 0 or prev.get("decided", 0) <= 0 or pd.isna(row.get("approval_rate")) \
            or pd.isna(prev.get("approval_rate")):
        return None
    change = abs(row["approval_rate"] - prev["approval_rate"])
    sev = rule.severity(change)
    return _alert(row, model_id, rule, sev, change, f"approval rate {row['approval_rate']:.1%} vs "
                  f"{prev['approval_rate']:.1%} the month before") if sev else None


def _volume_drop(row: Row, prev: Row, model_id: str, rule: Rule) -> Row | None:
    if row.get("days", 0) <= 0 or prev.get("days", 0) <= 0:
        return None
    now_rate, before = row["applications"] / row["days"], prev["applications"] / prev["days"]
    if before <= 0:
        return None
    fall = max(0.0, 1 - now_rate / before)
    sev = rule.severity(fall)
    return _alert(row, model_id, rule, sev, fall, f"{now_rate:,.0f} applications a day vs {before:,.0f} the month "
                  "before") if sev else None


def _latency(row: Row, model_id: str, rule: Rule) -> Row | None:
    if pd.isna(row.get("latency_p95")):
        return None
    sev = rule.severity(row["latency_p95"])
    return _alert(row, model_id, rule, sev, row["latency_p95"], f"p95 latency {row['latency_p95']:,.0f} ms") \
        if sev else None


def evaluate_alerts(summary: pd.DataFrame, model_id: str, config: AlertConfig,
                    validation_auc: float | None) -> pd.DataFrame:
    """Fired alerts, one row each, from a monthly summary of one model.

    `summary` columns: period, last_ts, days, applications, decided, approval_rate, bads,
    auc, expected_auc, expected_auc_all, psi, in_reference, latency_p95.
    """
    if summary.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    rules = config.rules
    rows = summary.sort_values("period").reset_index(drop=True).to_dict("records")
    found: list[Row | None] = []
    for i, row in enumerate(rows):
        found += [_auc_drop(row, model_id, rules["auc_drop"], validation_auc),
                  _score_psi(row, model_id, rules["score_psi"])]
        if i > 0:
            found += [_approval_change(row, rows[i - 1], model_id, rules["approval_rate_change"]),
                      _volume_drop(row, rows[i - 1], model_id, rules["volume_drop"])]
    found += [_latency(row, model_id, rules["latency_p95"]) for row in rows]
    frame = pd.DataFrame([a for a in found if a is not None], columns=ALERT_COLUMNS)
    return frame.sort_values(["time", "rule"], ascending=[False, True]).reset_index(drop=True)


def current_alerts(alerts: pd.DataFrame, summary: pd.DataFrame, config: AlertConfig) -> pd.DataFrame:
    """Alerts that hold now: each rule's latest evaluable month (AUC lags: labels come late)."""
    if alerts.empty or summary.empty:
        return alerts.iloc[0:0]
    latest = pd.Timestamp(summary["period"].max()).strftime("%Y-%m")
    enough = config.rules["auc_drop"].options.get("min_bad_labels", 0)
    auc_rows = summary[summary["auc"].notna() & (summary["bads"] >= enough)]
    keep = alerts["period"] == latest
    if not auc_rows.empty:
        latest_auc = pd.Timestamp(auc_rows["period"].max()).strftime("%Y-%m")
        keep = (keep & (alerts["rule"] != "auc_drop")) | ((alerts["rule"] == "auc_drop") & (alerts["period"] == latest_auc))
    return alerts[keep].reset_index(drop=True)
