"""Open a page of the app in Streamlit's AppTest, from the entry point, as a role."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.support.env import set_env

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


def open_page(store_dir: Path | str, role: str, slug: str | None = None,
              query: dict[str, str] | None = None, timeout: float = 120) -> AppTest:
    """Run the entry point as `role`, then switch to pages/<slug>.py and run it."""
    set_env("DASHBOARD_STORE", str(store_dir))  # undone after the test
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


def open_url(at: AppTest, slug: str) -> AppTest:
    """Open a page by its URL path, as a browser does with /<slug> (works for hidden pages too);
    "" is the default page."""
    at._page_hash = next(h for h, info in at._registered_pages.items() if (info.get("url_pathname") or "") == slug)
    return at.run()
