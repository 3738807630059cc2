"""Alert rules: the documented config file, its validation, and which periods fire."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.analytics.alerts import (
    DEFAULT_RULES,
    AlertConfigError,
    current_alerts,
    evaluate_alerts,
    parse_alert_config,
    parse_alert_config_toml,
)
from dashboard.settings import CONFIG_DIR
from dashboard.store.performance import load_alert_config

DEFAULT_ALERTS_CONFIG = CONFIG_DIR / "alerts.toml"


def _summary(**overrides: list) -> pd.DataFrame:
    base = {
        "period": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
        "last_ts": pd.to_datetime(["2026-01-31 23:00", "2026-02-28 23:00", "2026-03-31 23:00"]),
        "days": [31, 28, 31], "applications": [3100, 2800, 3100], "decided": [3100, 2800, 3100],
        "approval_rate": [0.70, 0.70, 0.70], "bads": [300, 300, 300], "auc": [0.66, 0.66, 0.66],
        "expected_auc": [0.665, 0.665, 0.665], "expected_auc_all": [0.755, 0.755, 0.755],
        "psi": [0.0, 0.01, 0.02], "in_reference": [True, False, False], "latency_p95": [50.0, 50.0, 50.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_packaged_file_documents_every_rule_with_its_default() -> None:
    config = load_alert_config(DEFAULT_ALERTS_CONFIG)
    assert set(config.rules) == set(DEFAULT_RULES)
    for name, (_desc, warning, critical, _opts) in DEFAULT_RULES.items():
        assert config.rules[name].warning == warning
        assert config.rules[name].critical == critical
    assert config.rules["score_psi"].critical == 0.25
    assert config.reference_months == 6
    text = DEFAULT_ALERTS_CONFIG.read_text()
    assert all(f"[rules.{name}]" in text for name in DEFAULT_RULES)


def test_a_healthy_model_fires_nothing() -> None:
    config = parse_alert_config({})
    assert evaluate_alerts(_summary(), "m", config, validation_auc=0.75).empty


def test_score_psi_above_025_is_critical_and_reference_months_are_not_judged() -> None:
    config = parse_alert_config({})
    alerts = evaluate_alerts(_summary(psi=[0.9, 0.15, 0.3]), "m", config, 0.75)
    psi = alerts[alerts["rule"] == "score_psi"].set_index("period")
    assert psi.loc["2026-03", "severity"] == "critical"
    assert psi.loc["2026-02", "severity"] == "warning"
    assert "2026-01" not in psi.index  # inside the reference window
    assert psi.loc["2026-03", "time"] == pd.Timestamp("2026-03-31 23:00")
    assert psi.loc["2026-03", "model"] == "m"


def test_auc_drop_is_measured_against_the_validation_auc_carried_to_the_approved_population() -> None:
    config = parse_alert_config({})
    # baseline = 0.75 - (0.755 - 0.665) = 0.66: realized 0.60 is a 0.06 drop -> warning;
    # 0.54 a 0.12 drop -> critical.
    alerts = evaluate_alerts(_summary(auc=[0.66, 0.60, 0.54]), "m", config, 0.75)
    auc = alerts[alerts["rule"] == "auc_drop"].set_index("period")
    assert auc.loc["2026-02", "severity"] == "warning"
    assert auc.loc["2026-02", "value"] == pytest.approx(0.06)
    assert auc.loc["2026-03", "severity"] == "critical"
    assert "2026-01" not in auc.index
    # Too few matured bads: not judged at all.
    few = evaluate_alerts(_summary(auc=[0.66, 0.60, 0.54], bads=[10, 10, 10]), "m", config, 0.75)
    assert few[few["rule"] == "auc_drop"].empty
    assert evaluate_alerts(_summary(auc=[0.5, 0.5, 0.5]), "m", config, None).query("rule == 'auc_drop'").empty


def test_approval_rate_volume_and_latency_rules() -> None:
    config = parse_alert_config({})
    alerts = evaluate_alerts(_summary(approval_rate=[0.70, 0.62, 0.50], applications=[3100, 1400, 3100],
                                      latency_p95=[50.0, 300.0, 2000.0]), "m", config, 0.75)
    got = {(r.rule, r.period): r.severity for r in alerts.itertuples()}
    assert got[("approval_rate_change", "2026-02")] == "warning"    # 8 points
    assert got[("approval_rate_change", "2026-03")] == "critical"   # 12 points
    assert got[("volume_drop", "2026-02")] == "warning"             # 50 a day vs 100: 50% fewer
    assert ("volume_drop", "2026-03") not in got                    # volume went up
    assert got[("latency_p95", "2026-02")] == "warning"
    assert got[("latency_p95", "2026-03")] == "critical"
    # A shadow model decides nothing: no approval-rate rule.
    shadow = evaluate_alerts(_summary(decided=[0, 0, 0], approval_rate=[None, None, None]), "m", config, 0.75)
    assert shadow.query("rule == 'approval_rate_change'").empty


def test_current_alerts_keep_each_rules_latest_month() -> None:
    config = parse_alert_config({})
    summary = _summary(psi=[0.0, 0.3, 0.3], auc=[0.66, 0.50, None], bads=[300, 300, 0])
    alerts = evaluate_alerts(summary, "m", config, 0.75)
    now = current_alerts(alerts, summary, config)
    assert set(zip(now["rule"], now["period"], strict=True)) == {("score_psi", "2026-03"), ("auc_drop", "2026-02")}


def test_disabled_rule_and_custom_thresholds() -> None:
    config = parse_alert_config_toml("[rules.score_psi]\nenabled = false\n[rules.latency_p95]\nwarning = 10\n")
    alerts = evaluate_alerts(_summary(psi=[0.9, 0.9, 0.9]), "m", config, 0.75)
    assert alerts.query("rule == 'score_psi'").empty
    assert len(alerts.query("rule == 'latency_p95'")) == 3


@pytest.mark.parametrize(("text", "message"), [
    ("[rules.score_psi]\nwarning = -1\n", "score_psi] warning must be a non-negative number"),
    ("[rules.score_psi]\nwarning = 0.5\ncritical = 0.2\n", "critical (0.2) is below warning (0.5)"),
    ("[rules.nope]\nwarning = 1\n", "unknown rule(s) nope"),
    ("[rules.volume_drop]\nwarn = 1\n", "unknown key 'warn'"),
    ("[reference]\nmonths = 0\n", "months must be a whole number"),
    ("[rules.score_psi\n", "not valid TOML"),
])
def test_bad_config_values_are_named(text: str, message: str) -> None:
    with pytest.raises(AlertConfigError) as err:
        parse_alert_config_toml(text, "my-alerts.toml")
    assert message in str(err.value)
    assert "my-alerts.toml" in str(err.value)


def test_psi_on_a_handful_of_applications_is_not_judged() -> None:
    config = parse_alert_config({})
    alerts = evaluate_alerts(_summary(psi=[0.0, 0.9, 0.9], applications=[3100, 3000, 40]), "m", config, 0.75)
    assert alerts.query("rule == 'score_psi'")["period"].tolist() == ["2026-02"]
