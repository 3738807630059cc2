"""Headless Chromium for the browser tests: where it is, how it starts, and when a page is idle."""

from __future__ import annotations

import socket
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_idle(page: object, timeout: float = 120) -> None:
    """Wait until the Streamlit page has drawn its title and stayed quiet for 1.5 s."""
    from playwright.sync_api import Page
    assert isinstance(page, Page)
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    # The first run imports for a few seconds before it draws: a blank page is not idle.
    page.wait_for_selector("h1", timeout=timeout * 1000)
    start, quiet = time.time(), None
    while time.time() - start < timeout:
        busy = page.locator('[data-testid="stStatusWidget"]').count() or page.locator(
            '[data-testid="stSkeleton"]').count()
        if busy:
            quiet = None
        elif quiet is None:
            quiet = time.time()
        elif time.time() - quiet > 1.5:
            return
        time.sleep(0.2)
    pytest.fail(f"{page.url} did not finish running in {timeout} s")
