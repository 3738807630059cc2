"""Where the business configuration file is; `store.assumptions` reads it (the one loader)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BUSINESS_CONFIG = Path(__file__).resolve().parents[1] / "config" / "business.toml"


def business_config_path() -> Path:
    return Path(os.environ.get("DASHBOARD_BUSINESS_CONFIG") or DEFAULT_BUSINESS_CONFIG)
