"""Benchmark: each page's time until idle in headless Chromium, cold and warm, and the server's peak memory.

The app is served on 127.0.0.1 by `streamlit run` over STORE (as in tests/e2e/test_browser.py).
For every page (as the admin, who sees all of them): "cold" is its first view, a full page
load by URL with its Streamlit caches empty, every page once before any is seen twice (one
warm-up view of a refused URL first pays the server's one-time imports: server_first_view_s;
the first page, Overview, also opens the store handle and loads the rollups). "Warm" is the
median of entering it again through the sidebar from the page before it, round after round,
as a user moves around (same session, cache hits). Time until idle = from navigation until
the app's script state is "notRunning" with no skeleton left (taken when it stops, confirmed
by 1 s without another run). Peak memory = the server process's VmHWM from /proc.

Run: .venv/bin/python benchmarks/bench_browser.py STORE [--warm 3] [--role admin]
Writes benchmarks/results/browser-<date>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import write_results
from dashboard.ui.navigation import pages_for

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUIET_S = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak resident) of a process, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def start_server(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = dict(os.environ, DASHBOARD_STORE=str(store))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the app did not start within 120 s")


def time_until_idle(page: Any, url: str | None, link: str | None = None, timeout: float = 300) -> float:
    """Seconds from navigation until the app stopped running (confirmed by QUIET_S of quiet).

    With `url`: a full page load (new session, the browser's first view of the page). With
    `link`: a click on that page's sidebar link, as a user moves between pages (same session).
    """
    start = time.perf_counter()
    if url is not None:
        page.goto(url)
        page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    else:
        page.locator(f'[data-testid="stSidebarNav"] a[href$="/{link}"]').first.click()
        with contextlib.suppress(Exception):  # a very fast run may be over before we look
            page.wait_for_function("document.querySelector('[data-testid=stApp]')"
                                   ".getAttribute('data-test-script-state') !== 'notRunning'", timeout=2000)
    quiet: float | None = None
    while time.perf_counter() - start < timeout:
        # A fresh page load starts in "initial"; only "notRunning" means the script ran to its end.
        state = page.locator('[data-testid="stApp"]').first.get_attribute("data-test-script-state")
        busy = state != "notRunning" or page.locator('[data-testid="stSkeleton"]').count() > 0
        now = time.perf_counter()
        if busy:
            quiet = None
        elif quiet is None:
            quiet = now
        elif now - quiet > QUIET_S:
            return quiet - start
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not become idle in {timeout} s")


def bench_browser(store: Path, role: str = "admin", warm: int = 3, shots: Path | None = None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    proc, base = start_server(store)
    pages: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # The server's first script run imports the app's libraries once per process: pay it on a
            # page with no data (a refused URL), so that each page's cold view is about its data.
            first_view = time_until_idle(page, f"{base}/audit?role=credit_officer")
            print(f"server's first view (imports, store handle) {first_view:.2f} s", flush=True)
            specs = pages_for(role)
            cold: dict[str, float] = {}
            for spec in specs:  # every page's first view, before any page is visited twice
                url = f"{base}/{'' if spec.slug == 'overview' else spec.slug}?role={role}"
                cold[spec.slug] = time_until_idle(page, url)
                failed = bool(page.locator('[data-testid="stException"]').count())
                pages[spec.slug] = {"cold_s": round(cold[spec.slug], 3), "exception_shown": failed}
                if shots is not None:
                    shots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shots / f"{spec.slug}.png"), full_page=True)
            runs: dict[str, list[float]] = {spec.slug: [] for spec in specs}
            for _ in range(warm):  # then round the sidebar: each page entered from the one before it
                for spec in specs:
                    runs[spec.slug].append(time_until_idle(page, None, link="" if spec.slug == "overview"
                                                           else spec.slug))
            for spec in specs:
                pages[spec.slug]["warm_median_s"] = round(statistics.median(runs[spec.slug]), 3)
                pages[spec.slug]["warm_runs_s"] = [round(r, 3) for r in runs[spec.slug]]
                print(f"{spec.slug:12s} cold {cold[spec.slug]:6.2f} s  warm {pages[spec.slug]['warm_median_s']:6.2f} s",
                      flush=True)
            browser.close()
        memory = _memory_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(20)
    return {"store": str(store), "role": role, "pages": pages, "server_first_view_s": round(first_view, 3),
            "server_peak_rss_mb": round(memory["VmHWM"] / 1024, 1),
            "server_rss_at_end_mb": round(memory["VmRSS"] / 1024, 1),
            "method": "Chromium headless via Playwright; time from goto until stApp's data-test-script-state is "
                      f"notRunning with no skeleton (then {QUIET_S} s without a rerun); peak = VmHWM of the "
                      "streamlit process"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--role", default="admin")
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, help="folder for one screenshot per page (to check the pages)")
    args = parser.parse_args()
    figures = bench_browser(args.store, args.role, args.warm, args.screenshots)
    print(write_results("browser", figures).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
