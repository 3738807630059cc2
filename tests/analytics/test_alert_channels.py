"""Channel definitions in alerts.toml: parsed, routed, and refused with a message naming the key."""

from __future__ import annotations

import pytest

from dashboard.analytics.alert_channels import (
    EmailChannel,
    WebhookChannel,
    parse_notification_config_toml,
)
from dashboard.analytics.alerts import AlertConfigError, parse_alert_config_toml

GOOD = """
[notifications]
default_channels = ["ops"]
attempts = 4
backoff_seconds = 0.5
[channels.ops]
type = "webhook"
url_env = "SLACK_WEBHOOK_URL"
blocks = true
[channels.risk]
type = "email"
host = "smtp.example.com"
security = "starttls"
from = "dash@example.com"
to = ["risk@example.com"]
user = "dash"
password_env = "SMTP_PASSWORD"
[rules.score_psi]
channels = ["ops", "risk"]
"""


def test_channels_and_routes() -> None:
    config = parse_notification_config_toml(GOOD)
    assert config.channels["ops"] == WebhookChannel("ops", "SLACK_WEBHOOK_URL", True)
    risk = config.channels["risk"]
    assert isinstance(risk, EmailChannel) and risk.port == 587 and risk.to == ("risk@example.com",)
    assert config.routes["score_psi"] == ("ops", "risk") and config.routes["auc_drop"] == ("ops",)
    assert config.delivery.attempts == 4 and config.delivery.pauses() == [0.5, 1.0, 2.0]
    assert parse_alert_config_toml(GOOD).rules["score_psi"].warning == 0.10   # channels is a known rule key


@pytest.mark.parametrize(("text", "message"), [
    ('[channels.ops]\ntype = "webhook"\nurl = "https://hooks.slack.com/x"\nurl_env = "X"',
     "secrets are not stored in the file"),
    ('[channels.ops]\ntype = "webhook"\nurl_env = "https://hooks.slack.com/x"', "must name an environment variable"),
    ('[channels.ops]\ntype = "pager"', 'type must be "webhook" or "email"'),
    ('[channels.m]\ntype = "email"\nhost = "h"\nfrom = "a@b.c"\nto = ["nobody"]', "to must be an address"),
    ('[channels.m]\ntype = "email"\nhost = "h"\nfrom = "a@b.c"\nto = "x@y.z"\nport = 70000', "port must be"),
    ('[rules.auc_drop]\nchannels = ["nowhere"]', "names channel 'nowhere', which no [channels.nowhere] defines"),
    ("[notifications]\nattempts = 0", "attempts must be a whole number from 1 to 10"),
    ("[channels", "not valid TOML"),
])
def test_bad_config_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(AlertConfigError, match="alerts config: ") as err:
        parse_notification_config_toml(text)
    assert message in str(err.value)
