"""`dashboard alerts run`: evaluate every rule for every model and notify each channel once.

The state is the store's `notification` events, one per message and channel: a rule in force
is sent to a channel once per period (the month it was judged on; again only when it rises
from warning to critical), and when it no longer holds, a "resolved" message goes to every
channel that was told it fired. A message that failed is not state: the next run tries again.
Each run also writes an `alerts_run` event with its counts.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dashboard.analytics.alert_channels import Channel, NotificationConfig
from dashboard.analytics.alerts import AlertConfig
from dashboard.services.delivery import Message, Outcome, check_secrets, deliver_all
from dashboard.services.performance import alert_model_ids, combine_alerts, load_performance

if TYPE_CHECKING:
    from dashboard.store import Store

log = logging.getLogger(__name__)
Key = tuple[str, str, str]   # model, rule, channel


@dataclass(frozen=True)
class Notice:
    """One message to send: a rule of a model fired (or resolved) for a period, to one channel."""

    model_id: str
    rule: str
    channel: str
    message: str           # fired or resolved
    period: str
    severity: str
    value: float
    threshold: float
    detail: str = ""


@dataclass
class RunReport:
    models: list[str]
    in_force: list[dict[str, Any]]           # the alerts that hold now, across the models
    notices: list[Notice]
    outcomes: list[Outcome | None]            # None for a dry run

    @property
    def failed(self) -> list[tuple[Notice, Outcome]]:
        return [(n, o) for n, o in zip(self.notices, self.outcomes, strict=True) if o is not None and not o.delivered]


def last_delivered(events: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """The latest delivered notification per (model, rule, channel); events come oldest first."""
    state: dict[Key, dict[str, Any]] = {}
    for e in events:
        if e.get("delivered"):
            state[(e["model_id"], e["rule"], e["channel"])] = e
    return state


def plan_notices(in_force: list[dict[str, Any]], sent: dict[Key, dict[str, Any]], config: NotificationConfig,
                 models: list[str]) -> list[Notice]:
    """What to send now, given the alerts in force and the last message each channel received."""
    notices = []
    holding = set()
    for alert in in_force:
        model, rule = alert["model"], alert["rule"]
        holding.add((model, rule))
        for channel in config.routes.get(rule, ()):
            last = sent.get((model, rule, channel))
            if last and last["message"] == "fired" and last["period"] == alert["period"] \
                    and not (last["severity"] == "warning" and alert["severity"] == "critical"):
                continue
            notices.append(Notice(model, rule, channel, "fired", alert["period"], alert["severity"],
                                  float(alert["value"]), float(alert["threshold"]), str(alert.get("message", ""))))
    for (model, rule, channel), last in sorted(sent.items()):
        if last["message"] == "fired" and model in models and (model, rule) not in holding \
                and channel in config.routes.get(rule, ()):
            notices.append(Notice(model, rule, channel, "resolved", last["period"], last["severity"],
                                  float(last["value"]), float(last["threshold"])))
    return notices


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"


def render_message(notice: Notice, base_url: str) -> Message:
    """Subject, text and Slack blocks: model, rule, value against threshold, period and a link."""
    link = f"{base_url}/performance?{urllib.parse.urlencode({'model': notice.model_id})}"
    figures = f"{_number(notice.value)} vs threshold {_number(notice.threshold)} ({notice.severity})"
    if notice.message == "fired":
        head = f"[{notice.severity.upper()}] {notice.model_id}: alert {notice.rule} fired for {notice.period}"
        body = f"value {figures}." + (f" {notice.detail}." if notice.detail else "")
    else:
        head = f"[RESOLVED] {notice.model_id}: alert {notice.rule} no longer fires"
        body = f"It fired for {notice.period} at value {figures}; the latest evaluation is within the threshold."
    text = f"{head}\n{body}\nPerformance page: {link}"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*\n{body}"}},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open the Performance page>"}]}]
    return Message(subject=f"[dashboard] {head}", text=text, blocks=blocks)


def evaluate_in_force(store: Store, models: list[str], rules: AlertConfig) -> list[dict[str, Any]]:
    """The alerts that hold now for the given models (each rule's latest evaluable month)."""
    now, _ = combine_alerts([load_performance(store, m, "month", rules) for m in models])
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            for row in now.to_dict("records")]


def _record(store: Store, report: RunReport, channels: dict[str, Channel], source: str) -> None:
    for notice, outcome in zip(report.notices, report.outcomes, strict=True):
        if outcome is None:
            continue
        store.append_event("notification", {
            "model_id": notice.model_id, "rule": notice.rule, "channel": notice.channel,
            "message": notice.message, "period": notice.period, "severity": notice.severity,
            "value": notice.value, "threshold": notice.threshold, "delivered": outcome.delivered,
            "attempts": outcome.attempts, "error": outcome.error})
    failed = sorted({n.channel for n, _ in report.failed})
    store.append_event("alerts_run", {
        "models": report.models, "fired": len(report.in_force), "sent": sum(1 for o in report.outcomes
                                                                            if o is not None and o.delivered),
        "failed": len(report.failed), "failed_channels": failed, "config": source})
    for name in failed:
        log.warning("alerts run: channel %s (%s) failed", name, type(channels[name]).__name__)


def run_notifications(store: Store, rules: AlertConfig, config: NotificationConfig, models: list[str] | None,
                      base_url: str, dry_run: bool = False, source: str = "") -> RunReport:
    """Evaluate, send what is due (nothing on a dry run) and record it as events."""
    if not dry_run:   # an unset secret is a configuration error, found even when nothing fires
        check_secrets([config.channels[c] for c in dict.fromkeys(c for names in config.routes.values()
                                                                   for c in names)])
    chosen = models if models is not None else alert_model_ids(store)
    in_force = evaluate_in_force(store, chosen, rules)
    notices = plan_notices(in_force, last_delivered(store.read_events("notification")), config, chosen)
    if dry_run:
        return RunReport(chosen, in_force, notices, [None] * len(notices))
    jobs = [(config.channels[n.channel], render_message(n, base_url)) for n in notices]
    outcomes: list[Outcome | None] = list(deliver_all(jobs, config.delivery))
    report = RunReport(chosen, in_force, notices, outcomes)
    _record(store, report, config.channels, source)
    return report
