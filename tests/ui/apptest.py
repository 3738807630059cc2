"""Open a page of the app in Streamlit's AppTest, from the entry point, as a role."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


def open_page(store_dir: Path | str, role: str, slug: str | None = None,
              query: dict[str, str] | None = None, timeout: float = 120) -> AppTest:
    """Run the entry point as `role`, then switch to pages/<slug>.py and run it."""
    os.environ["DASHBOARD_STORE"] = str(store_dir)
    at = AppTest.from_file(ENTRY, default_timeout=timeout)
    at.query_params["role"] = role
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if slug is not None and slug != "overview":
        at.switch_page(f"../pages/{slug}.py")
        at.run()
    return at


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception]
