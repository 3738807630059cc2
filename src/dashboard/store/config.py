"""Where the business configuration file is; `store.assumptions` reads it (the one loader)."""

from __future__ import annotations

from pathlib import Path

from dashboard.settings import config_path


def business_config_path() -> Path:
    return config_path("DASHBOARD_BUSINESS_CONFIG")
