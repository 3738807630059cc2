"""Where fired alerts are sent: the [channels.*] and [notifications] sections of alerts.toml (pure).

A channel is a webhook (a Slack-compatible JSON body) or an email over SMTP. Secrets (the
webhook URL, the SMTP password) are never stored in the file: the file names the environment
variable that holds each one (`url_env`, `password_env`), read through `settings.named_secret`
when a message is sent. Rules name their channels with `channels = [...]` in [rules.<name>];
a rule that names none goes to [notifications] default_channels.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from dashboard.analytics.alerts import DEFAULT_RULES, AlertConfigError

CHANNEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
SECURITY = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# keys a person may write by habit that would put a secret in the file
SECRET_KEYS = {"url": "url_env", "password": "password_env", "webhook_url": "url_env"}


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url_env: str                 # the environment variable holding the URL (a secret for Slack)
    blocks: bool = False         # add Slack "blocks" beside the plain "text"


@dataclass(frozen=True)
class EmailChannel:
    name: str
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    security: str = "none"       # none, starttls or ssl
    user: str | None = None
    password_env: str | None = None


Channel = WebhookChannel | EmailChannel


@dataclass(frozen=True)
class Delivery:
    """How hard to try one channel: attempts, the pause before a retry (doubling) and the timeout."""

    attempts: int = 3
    backoff_seconds: float = 1.0
    timeout_seconds: float = 10.0

    def pauses(self) -> list[float]:
        """The pauses between attempts: backoff, 2 x backoff, 4 x backoff, ..."""
        return [self.backoff_seconds * 2 ** i for i in range(self.attempts - 1)]


@dataclass(frozen=True)
class NotificationConfig:
    channels: dict[str, Channel]
    routes: dict[str, tuple[str, ...]]     # rule name -> channel names
    delivery: Delivery

    def channels_of(self, rule: str) -> list[Channel]:
        return [self.channels[c] for c in self.routes.get(rule, ())]


def _text(raw: dict[str, Any], key: str, where: str, problems: list[str], required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            problems.append(f"{where} needs {key}")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where} {key} must be a non-empty string, got {value!r}")
        return None
    return value.strip()


def _env_name(raw: dict[str, Any], key: str, where: str, problems: list[str], required: bool) -> str | None:
    value = _text(raw, key, where, problems, required)
    if value is not None and not ENV_NAME.match(value):
        problems.append(f"{where} {key} must name an environment variable (like SLACK_WEBHOOK_URL), "
                        f"not hold the secret itself; got {value[:12]!r}...")
        return None
    return value


def _check_keys(raw: dict[str, Any], known: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(raw) - known):
        if key in SECRET_KEYS:
            problems.append(f"{where} {key}: secrets are not stored in the file; put it in an environment "
                            f"variable and name that variable with {SECRET_KEYS[key]}")
        else:
            problems.append(f"{where} unknown key {key!r}; known: {', '.join(sorted(known))}")


def _webhook(name: str, raw: dict[str, Any], problems: list[str]) -> WebhookChannel | None:
    where = f"[channels.{name}]"
    _check_keys(raw, {"type", "url_env", "blocks"}, where, problems)
    url_env = _env_name(raw, "url_env", where, problems, required=True)
    blocks = raw.get("blocks", False)
    if not isinstance(blocks, bool):
        problems.append(f"{where} blocks must be true or false, got {blocks!r}")
        blocks = False
    return WebhookChannel(name, url_env, blocks) if url_env else None


def _email(name: str, raw: dict[str, Any], problems: list[str]) -> EmailChannel | None:
    where = f"[channels.{name}]"
    _check_keys(raw, {"type", "host", "port", "from", "to", "security", "user", "password_env"}, where, problems)
    before = len(problems)
    host = _text(raw, "host", where, problems)
    sender = _text(raw, "from", where, problems)
    security = raw.get("security", "none")
    if security not in SECURITY:
        problems.append(f"{where} security must be one of {', '.join(SECURITY)}, got {security!r}")
        security = "none"
    port = raw.get("port", DEFAULT_PORTS[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(f"{where} port must be a whole number from 1 to 65535, got {port!r}")
    to = raw.get("to")
    to = [to] if isinstance(to, str) else to
    if not isinstance(to, list) or not to or not all(isinstance(t, str) and EMAIL.match(t) for t in to):
        problems.append(f"{where} to must be an address or a non-empty list of addresses, got {raw.get('to')!r}")
    if sender is not None and not EMAIL.match(sender):
        problems.append(f"{where} from must be an email address, got {sender!r}")
    user = _text(raw, "user", where, problems, required=False)
    password_env = _env_name(raw, "password_env", where, problems, required=False)
    if password_env and not user:
        problems.append(f"{where} password_env needs user (the SMTP login)")
    if len(problems) > before:
        return None
    return EmailChannel(name, str(host), int(port), str(sender), tuple(to or ()), str(security), user, password_env)


def _channels(section: Any, problems: list[str]) -> dict[str, Channel]:
    if not isinstance(section, dict):
        problems.append("[channels] must be a table of [channels.<name>] tables")
        return {}
    out: dict[str, Channel] = {}
    for name, raw in section.items():
        if not CHANNEL_NAME.match(name):
            problems.append(f"[channels.{name}]: a channel name is letters, digits, '_', '.' or '-'")
            continue
        if not isinstance(raw, dict):
            problems.append(f"[channels.{name}] must be a table")
            continue
        kind = raw.get("type")
        channel: Channel | None
        if kind == "webhook":
            channel = _webhook(name, raw, problems)
        elif kind == "email":
            channel = _email(name, raw, problems)
        else:
            problems.append(f"[channels.{name}] type must be \"webhook\" or \"email\", got {kind!r}")
            continue
        if channel is not None:
            out[name] = channel
    return out


def _names(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where} must be a list of channel names, got {value!r}")
        return ()
    return tuple(value)


def _delivery(raw: dict[str, Any], problems: list[str]) -> Delivery:
    limits = {"attempts": (1, 10), "backoff_seconds": (0.0, 300.0), "timeout_seconds": (0.1, 300.0)}
    values: dict[str, Any] = {}
    for key, (low, high) in limits.items():
        if key not in raw:
            continue
        value = raw[key]
        whole = key == "attempts"
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
                or not low <= value <= high:
            problems.append(f"[notifications] {key} must be a {'whole ' if whole else ''}number from {low:g} "
                            f"to {high:g}, got {value!r}")
            continue
        values[key] = value if whole else float(value)
    return Delivery(**values)


def parse_notification_config(data: dict[str, Any], source: str = "alerts config") -> NotificationConfig:
    """The channels, which rules go where and how hard to try; AlertConfigError lists every problem."""
    problems: list[str] = []
    channels = _channels(data.get("channels", {}), problems)
    settings = data.get("notifications", {})
    if not isinstance(settings, dict):
        problems.append("[notifications] must be a table")
        settings = {}
    _check_keys(settings, {"default_channels", "attempts", "backoff_seconds", "timeout_seconds"},
                "[notifications]", problems)
    default = _names(settings.get("default_channels", []), "[notifications] default_channels", problems)
    delivery = _delivery(settings, problems)
    rules = data.get("rules", {})
    routes: dict[str, tuple[str, ...]] = {}
    for rule in DEFAULT_RULES:
        raw = rules.get(rule, {}) if isinstance(rules, dict) else {}
        named = raw.get("channels") if isinstance(raw, dict) else None
        routes[rule] = default if named is None else _names(named, f"[rules.{rule}] channels", problems)
    declared = set(data.get("channels", {})) if isinstance(data.get("channels"), dict) else set()
    for rule, names in routes.items():
        for name in names:
            if name not in declared:
                problems.append(f"[rules.{rule}] names channel {name!r}, which no [channels.{name}] defines "
                                f"(defined: {', '.join(sorted(declared)) or 'none'})")
    if problems:
        raise AlertConfigError(f"{source}: " + "; ".join(dict.fromkeys(problems)))
    return NotificationConfig(channels, {r: n for r, n in routes.items() if n}, delivery)


def parse_notification_config_toml(text: str, source: str = "alerts config") -> NotificationConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AlertConfigError(f"{source}: not valid TOML: {exc}") from None
    return parse_notification_config(data, source)
