"""Once per period, resolved when it clears: the plan from the alerts in force and the events sent."""

from __future__ import annotations

from typing import Any

from dashboard.analytics.alert_channels import parse_notification_config_toml
from dashboard.services.notifications import last_delivered, plan_notices

CONFIG = parse_notification_config_toml('[notifications]\ndefault_channels = ["a", "b"]\n'
                                        '[channels.a]\ntype = "webhook"\nurl_env = "A"\n'
                                        '[channels.b]\ntype = "webhook"\nurl_env = "B"\n')


def _alert(period: str = "2026-10", severity: str = "warning") -> dict[str, Any]:
    return {"model": "m", "rule": "score_psi", "period": period, "severity": severity, "value": 0.2,
            "threshold": 0.1, "message": "score PSI 0.200"}


def _sent(notices: list[Any], delivered: bool = True) -> list[dict[str, Any]]:
    return [{"model_id": n.model_id, "rule": n.rule, "channel": n.channel, "message": n.message,
             "period": n.period, "severity": n.severity, "value": n.value, "threshold": n.threshold,
             "delivered": delivered} for n in notices]


def test_fired_once_per_period_then_resolved() -> None:
    first = plan_notices([_alert()], {}, CONFIG, ["m"])
    assert [(n.channel, n.message) for n in first] == [("a", "fired"), ("b", "fired")]
    events = _sent(first)
    assert plan_notices([_alert()], last_delivered(events), CONFIG, ["m"]) == []
    escalated = plan_notices([_alert(severity="critical")], last_delivered(events), CONFIG, ["m"])
    assert [n.severity for n in escalated] == ["critical", "critical"]
    next_month = plan_notices([_alert("2026-11")], last_delivered(events), CONFIG, ["m"])
    assert [n.period for n in next_month] == ["2026-11", "2026-11"]
    resolved = plan_notices([], last_delivered(events), CONFIG, ["m"])
    assert [(n.channel, n.message, n.period) for n in resolved] == [("a", "resolved", "2026-10"),
                                                                      ("b", "resolved", "2026-10")]
    assert plan_notices([], last_delivered(events), CONFIG, ["other"]) == []   # m not evaluated this run
    assert plan_notices([], last_delivered(events + _sent(resolved)), CONFIG, ["m"]) == []


def test_a_failed_message_is_sent_again() -> None:
    first = plan_notices([_alert()], {}, CONFIG, ["m"])
    assert len(plan_notices([_alert()], last_delivered(_sent(first, delivered=False)), CONFIG, ["m"])) == 2
