"""Headless Chromium for the browser tests: where it is, how the app is served, and when a page is idle."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 90) -> None:
    """Wait until something listens on 127.0.0.1:port; fail at once if the process exits first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process exited with {proc.returncode}")
        time.sleep(0.3)
    pytest.fail(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def serve_app(store: Path, *, port: int | None = None, env: Mapping[str, str] | None = None,
              drop_env: Iterable[str] = (), cwd: Path | None = None, log: IO[bytes] | None = None,
              extra_args: Iterable[str] = ()) -> Iterator[str]:
    """The real app under `streamlit run` on 127.0.0.1 with `store`; yields its URL and stops it after."""
    port = port or free_port()
    full_env = dict(os.environ, DASHBOARD_STORE=str(store))
    for name in drop_env:
        full_env.pop(name, None)
    full_env.update(env or {})
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false", *extra_args],
                            cwd=cwd, env=full_env, stdout=log or subprocess.DEVNULL,
                            # An unread pipe would stall the server once it fills: no log, no output.
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def is_idle(page: object, timeout: float = 120) -> bool:
    """True once the Streamlit page has drawn its title and stayed quiet for 1.5 s; False at the timeout."""
    from playwright.sync_api import Error, Page
    assert isinstance(page, Page)
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    # The first run imports for a few seconds before it draws: a blank page is not idle.
    try:
        page.wait_for_selector("h1", timeout=timeout * 1000)
    except Error:
        return False
    start, quiet = time.time(), None
    while time.time() - start < timeout:
        busy = page.locator('[data-testid="stStatusWidget"]').count() or page.locator(
            '[data-testid="stSkeleton"]').count()
        if busy:
            quiet = None
        elif quiet is None:
            quiet = time.time()
        elif time.time() - quiet > 1.5:
            return True
        time.sleep(0.2)
    return False


def wait_idle(page: object, timeout: float = 120) -> None:
    """Wait until the page is idle (see `is_idle`); fail the test when it is not within `timeout`."""
    if not is_idle(page, timeout):
        pytest.fail(f"{getattr(page, 'url', page)} did not finish running in {timeout} s")
