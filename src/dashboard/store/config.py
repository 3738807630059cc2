"""Reading the business configuration file (the one place for assumptions)."""

from __future__ import annotations

import os
from pathlib import Path

from dashboard.analytics.assumptions import BusinessAssumptions, parse_assumptions_toml

DEFAULT_BUSINESS_CONFIG = Path(__file__).resolve().parents[1] / "config" / "business.toml"


def business_config_path() -> Path:
    return Path(os.environ.get("DASHBOARD_BUSINESS_CONFIG") or DEFAULT_BUSINESS_CONFIG)


def load_business_assumptions(path: Path | None = None) -> BusinessAssumptions:
    """File defaults; raises AssumptionsError with the file name on a bad value."""
    chosen = path or business_config_path()
    return parse_assumptions_toml(chosen.read_text("utf-8"), str(chosen))
