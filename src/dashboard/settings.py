"""Every environment variable and configuration file the dashboard reads, in one place.

Each setting has its name, default and help; modules ask here instead of reading
`os.environ` themselves, and the README's configuration table is checked against SETTINGS
(tests/test_settings.py).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent / "config"


@dataclass(frozen=True)
class Setting:
    env: str
    default: str          # a path relative to the package's config folder, a number or a folder
    help: str
    is_config_file: bool = False

    def default_text(self) -> str:
        return f"src/dashboard/config/{self.default}" if self.is_config_file else self.default


SETTINGS: dict[str, Setting] = {s.env: s for s in (
    Setting("DASHBOARD_STORE", "var/store",
            "the store folder every command and the app use (each command also takes --store DIR)"),
    Setting("DASHBOARD_BUSINESS_CONFIG", "business.toml",
            "business assumptions: currency, loan amount, margin, loss given default, review and serving "
            "costs, baseline policy, capital, the smallest protected group counted in a fairness ratio",
            is_config_file=True),
    Setting("DASHBOARD_ALERTS_CONFIG", "alerts.toml", "alert rules and their thresholds", is_config_file=True),
    Setting("DASHBOARD_IMPACT_TARGETS", "impact_targets.toml", "the Impact scorecard's targets",
            is_config_file=True),
    Setting("DASHBOARD_ROLES_FILE", "roles.toml", "who gets which role after an OpenID Connect login",
            is_config_file=True),
    Setting("DASHBOARD_REFRESH_SECONDS", "10",
            "seconds between live refreshes of Overview and Performance (2 to 3600)"),
    Setting("DASHBOARD_LOG_LEVEL", "WARNING",
            "what the app and the commands log to standard error: DEBUG, INFO, WARNING or ERROR"),
    Setting("DASHBOARD_API_TOKENS", "var/api-tokens.json",
            "the HTTP API's bearer tokens (names, scopes and SHA-256 hashes; `dashboard api token add` writes it)"),
    Setting("DASHBOARD_API_MAX_BODY_BYTES", "67108864",
            "the largest request body the HTTP API accepts; larger ones get 413"),
    Setting("DASHBOARD_API_BATCH_MS", "10",
            "the API's group commit: at most this many milliseconds gathering requests into one write"),
    Setting("DASHBOARD_API_BATCH_ROWS", "5000",
            "the API's group commit: a write starts at once when this many rows wait"),
    Setting("DASHBOARD_API_BUFFER_ROWS", "100000",
            "rows the API may hold unwritten; beyond that it answers 429 with Retry-After"),
    Setting("DASHBOARD_API_ROLLUP_SECONDS", "5",
            "seconds between the API's coalesced rollup refreshes (and its activity events)"),
    Setting("DASHBOARD_BASE_URL", "http://127.0.0.1:8501",
            "the app's address as people open it, for the links in alert notifications"),
)}


def env_value(name: str) -> str | None:
    """The environment's value of a known setting (None when unset or empty)."""
    if name not in SETTINGS:
        raise KeyError(f"unknown setting {name}")
    return os.environ.get(name) or None


def named_secret(name: str) -> str | None:
    """A secret the configuration names by its environment variable (a webhook URL, an SMTP
    password), so that no secret is written in a file; None when unset or empty."""
    return os.environ.get(name) or None


def base_url() -> str:
    """The app's address for links, without a trailing slash."""
    return (env_value("DASHBOARD_BASE_URL") or SETTINGS["DASHBOARD_BASE_URL"].default).rstrip("/")


def config_path(name: str) -> Path:
    """A configuration file: the environment's path, else the packaged default."""
    setting = SETTINGS[name]
    if not setting.is_config_file:
        raise KeyError(f"{name} is not a configuration file")
    return Path(env_value(name) or CONFIG_DIR / setting.default)


def store_path_text() -> str:
    return env_value("DASHBOARD_STORE") or SETTINGS["DASHBOARD_STORE"].default


def refresh_seconds() -> int:
    """The live refresh interval, clamped to 2..3600 s; a non-number gives the default."""
    default = int(SETTINGS["DASHBOARD_REFRESH_SECONDS"].default)
    try:
        value = int(env_value("DASHBOARD_REFRESH_SECONDS") or default)
    except ValueError:
        return default
    return min(max(value, 2), 3600)


def int_setting(name: str, low: int, high: int) -> int:
    """An integer setting clamped to low..high; a non-number gives the default."""
    default = int(SETTINGS[name].default)
    try:
        value = int(env_value(name) or default)
    except ValueError:
        return default
    return min(max(value, low), high)


def api_tokens_path() -> Path:
    return Path(env_value("DASHBOARD_API_TOKENS") or SETTINGS["DASHBOARD_API_TOKENS"].default)


def configure_logging() -> None:
    """Log records of the project to standard error at DASHBOARD_LOG_LEVEL (once per process)."""
    level = (env_value("DASHBOARD_LOG_LEVEL") or SETTINGS["DASHBOARD_LOG_LEVEL"].default).upper()
    logger = logging.getLogger("dashboard")
    if logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "WARNING")
    logger.propagate = False


def settings_table() -> str:
    """The README's configuration table, generated from SETTINGS."""
    rows = ["| environment variable | default | what it sets |", "|---|---|---|"]
    rows += [f"| `{s.env}` | `{s.default_text()}` | {s.help} |" for s in SETTINGS.values()]
    return "\n".join(rows)
