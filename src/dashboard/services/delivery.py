"""Sending a message to a channel: a webhook over HTTP(S) or an email over SMTP, with retries.

Each attempt has a timeout; a failed attempt is retried after a pause that doubles
(`Delivery.pauses`), up to `Delivery.attempts`. Channels are sent to concurrently, one thread
each, so a slow or dead channel never holds up the others; within one channel the messages go
in order, and once one has failed every attempt the rest are not tried in this run (they are
reported as failed, and the next run tries them again).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from dashboard.analytics.alert_channels import Channel, Delivery, EmailChannel, WebhookChannel
from dashboard.errors import DashboardError
from dashboard.settings import named_secret

log = logging.getLogger(__name__)


class DeliveryError(DashboardError, RuntimeError):
    """A channel refused or did not answer; the message says how."""


class MissingSecretError(DashboardError, ValueError):
    """A channel names an environment variable that is not set."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    attempts: int
    error: str | None = None


def check_secrets(channels: Sequence[Channel]) -> None:
    """Raise MissingSecretError naming every channel whose environment variable is unset."""
    missing = []
    for ch in channels:
        name = ch.url_env if isinstance(ch, WebhookChannel) else ch.password_env
        if name and named_secret(name) is None:
            missing.append(f"channel {ch.name!r} needs the environment variable {name}, which is not set")
    if missing:
        raise MissingSecretError("; ".join(missing))


def post_webhook(channel: WebhookChannel, message: Message, timeout: float) -> None:
    """POST a Slack-compatible JSON body ({"text": ..., "blocks": [...]}) and expect a 2xx."""
    url = named_secret(channel.url_env)
    if url is None:
        raise DeliveryError(f"the environment variable {channel.url_env} is not set")
    body: dict[str, Any] = {"text": message.text}
    if channel.blocks and message.blocks:
        body["blocks"] = message.blocks
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DeliveryError(f"no answer: {reason}") from None


def send_email(channel: EmailChannel, message: Message, timeout: float) -> None:
    """Send a plain-text email, over STARTTLS or SSL when the channel asks, logging in when it names a user."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = channel.sender
    email["To"] = ", ".join(channel.to)
    email.set_content(message.text)
    password = named_secret(channel.password_env) if channel.password_env else None
    try:
        smtp: smtplib.SMTP
        if channel.security == "ssl":
            smtp = smtplib.SMTP_SSL(channel.host, channel.port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=timeout)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.user and password:
                smtp.login(channel.user, password)
            smtp.send_message(email)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {channel.host}:{channel.port}: {exc}") from None


Sender = Callable[[Channel, Message, float], None]


def send_once(channel: Channel, message: Message, timeout: float) -> None:
    if isinstance(channel, WebhookChannel):
        post_webhook(channel, message, timeout)
    else:
        send_email(channel, message, timeout)


def deliver(channel: Channel, message: Message, delivery: Delivery, send: Sender = send_once) -> Outcome:
    """Try up to `delivery.attempts` times, pausing `delivery.pauses()` between; never raises."""
    pauses = delivery.pauses()
    error = None
    for attempt in range(1, delivery.attempts + 1):
        try:
            send(channel, message, delivery.timeout_seconds)
            return Outcome(True, attempt)
        except DeliveryError as exc:
            error = str(exc)
            log.warning("channel %s, attempt %d of %d: %s", channel.name, attempt, delivery.attempts, error)
        if attempt <= len(pauses):
            time.sleep(pauses[attempt - 1])
    return Outcome(False, delivery.attempts, error)


def _deliver_in_order(channel: Channel, messages: list[Message], delivery: Delivery,
                      send: Sender) -> list[Outcome]:
    out: list[Outcome] = []
    for message in messages:
        if out and not out[-1].delivered:
            out.append(Outcome(False, 0, f"not tried: the channel failed earlier in this run ({out[-1].error})"))
            continue
        out.append(deliver(channel, message, delivery, send))
    return out


def deliver_all(jobs: Sequence[tuple[Channel, Message]], delivery: Delivery,
                send: Sender = send_once) -> list[Outcome]:
    """The outcome of each (channel, message), in the order given; channels run concurrently."""
    by_channel: dict[str, list[int]] = {}
    for i, (channel, _) in enumerate(jobs):
        by_channel.setdefault(channel.name, []).append(i)
    outcomes: list[Outcome | None] = [None] * len(jobs)
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(by_channel)), thread_name_prefix="notify") as pool:
        futures = {name: pool.submit(_deliver_in_order, jobs[idx[0]][0], [jobs[i][1] for i in idx], delivery, send)
                   for name, idx in by_channel.items()}
        for name, future in futures.items():
            for i, outcome in zip(by_channel[name], future.result(), strict=True):
                outcomes[i] = outcome
    return [o for o in outcomes if o is not None]
