"""Delivery to a local webhook receiver and a local SMTP server: content, retries, a dead channel."""

from __future__ import annotations

import email
import email.policy

import pytest

from dashboard.analytics.alert_channels import Channel, Delivery, EmailChannel, WebhookChannel
from dashboard.services.delivery import Message, deliver_all
from dashboard.services.notifications import Notice, render_message
from tests.support.receivers import free_port, smtp_server, webhook_receiver

FAST = Delivery(attempts=3, backoff_seconds=0.01, timeout_seconds=2)
NOTICE = Notice("gbm_champion", "score_psi", "hook", "fired", "2026-10", "critical", 0.312, 0.25, "score PSI")


def test_webhook_and_email_receive_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    message = render_message(NOTICE, "http://dash.example")
    with webhook_receiver() as (url, bodies), smtp_server() as (port, inbox):
        monkeypatch.setenv("NOTIFY_HOOK", url)
        hook = WebhookChannel("hook", "NOTIFY_HOOK", blocks=True)
        mail = EmailChannel("mail", "127.0.0.1", port, "dash@example.com", ("risk@example.com",))
        outcomes = deliver_all([(hook, message), (mail, message)], FAST)
    assert [o.delivered for o in outcomes] == [True, True]
    assert len(bodies) == 1 and bodies[0]["text"] == message.text and bodies[0]["blocks"]
    for text in ("gbm_champion", "score_psi", "0.312", "0.250", "2026-10",
                 "http://dash.example/performance?model=gbm_champion"):
        assert text in message.text
    sent = email.message_from_bytes(inbox[0], policy=email.policy.default)
    assert sent["Subject"].strip() == message.subject and sent["To"] == "risk@example.com"
    assert "0.312 vs threshold 0.250" in sent.get_body().get_content()


def test_a_500_is_retried_then_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook_receiver([500, 500]) as (url, bodies):
        monkeypatch.setenv("NOTIFY_HOOK", url)
        [outcome] = deliver_all([(WebhookChannel("hook", "NOTIFY_HOOK"), Message("s", "hello"))], FAST)
    assert outcome.delivered and outcome.attempts == 3
    assert bodies == [{"text": "hello"}]


def test_a_dead_channel_fails_and_the_other_is_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = EmailChannel("dead", "127.0.0.1", free_port(), "dash@example.com", ("risk@example.com",))
    with webhook_receiver() as (url, bodies):
        monkeypatch.setenv("NOTIFY_HOOK", url)
        jobs: list[tuple[Channel, Message]] = [(dead, Message("s", "one")), (dead, Message("s", "two")),
                (WebhookChannel("hook", "NOTIFY_HOOK"), Message("s", "three"))]
        first, second, hook = deliver_all(jobs, FAST)
    assert not first.delivered and first.attempts == 3 and "refused" in (first.error or "")
    assert not second.delivered and second.attempts == 0   # not tried again in the same run
    assert hook.delivered and bodies == [{"text": "three"}]
