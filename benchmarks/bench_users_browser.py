"""The browser check of bench_users.py: a few headless Chromium sessions on the same role paths.

Each session is a thread with its own Playwright and Chromium (the sync API is per thread).
A session opens its role's first page by URL, then moves along its path by the sidebar links
as a user does (an application by its deep link, ?application=); the queue's page number is
not stepped here (the protocol sessions do that). Per view: the time until idle as in
bench_browser.py and whether an exception box shows. The server's CPU per page view is
comparable with the protocol run's: same server, same pages.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.bench_browser import CHROMIUM, CHROMIUM_ARGS, time_until_idle
from benchmarks.bench_users import (
    MIX,
    PATHS,
    View,
    peak_rss_mb,
    start_server,
    summarize,
    wait_until_idle,
)


def _session(base: str, role: str, applications: list[str], until: float, think: tuple[float, float],
             seed: int, views: list[View], lock: threading.Lock) -> None:
    from playwright.sync_api import sync_playwright

    rng = random.Random(seed)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        path = [step for step in PATHS[role] if not step[1].startswith("page:")]
        step = 0
        try:
            while time.monotonic() < until:
                slug, action = path[step % len(path)]
                query = {"role": role}
                if action == "open":
                    query["application"] = rng.choice(applications)
                url = f"{base}/{'' if slug == 'overview' else slug}?{urlencode(query)}"
                error = ""
                try:
                    if step == 0 or action == "open":
                        seconds = time_until_idle(page, url, timeout=120)
                    else:
                        seconds = time_until_idle(page, None, link="" if slug == "overview" else slug, timeout=120)
                    if page.locator('[data-testid="stException"]').count():
                        error = "exception shown"
                except Exception as exc:  # noqa: BLE001  (a failed view is counted, the session goes on)
                    seconds, error = 120.0, f"{type(exc).__name__}: {exc}"[:200]
                with lock:
                    views.append(View(role, slug, action, seconds, error))
                step += 1
                time.sleep(rng.uniform(*think))
        finally:
            browser.close()


def browser_phase(store: Path, sessions: int, seconds: float, think: tuple[float, float],
                  applications: list[str]) -> dict[str, Any]:
    """`sessions` Chromium sessions for `seconds` on a new server (warmed first by one of them)."""
    server = start_server(store)
    try:
        base = f"http://127.0.0.1:{server.port}"
        warm: list[View] = []
        lock = threading.Lock()
        for i, role in enumerate(MIX[:3]):   # one untimed pass of each role's first page
            _session(base, role, applications, time.monotonic() + 1, (0, 0), i, warm, lock)
        wait_until_idle(server)
        views: list[View] = []
        cpu0, t0 = server.cpu(), time.perf_counter()
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=_session, args=(base, MIX[i % len(MIX)], applications, until, think,
                                                           100 + i, views, lock)) for i in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu, wall = server.cpu() - cpu0, time.perf_counter() - t0
        out = summarize(views)
        done = max(1, out["views"] - out["errors"])
        out.update({"sessions": sessions, "seconds": round(wall, 1), "server_cpu_s": round(cpu, 1),
                    "cpu_s_per_view": round(cpu / done, 3), "peak_rss_mb": round(peak_rss_mb(server.pid), 1),
                    "note": "views by sidebar link after the first (time until idle, bench_browser.py); "
                            "the browsers run on the same 2 cores as the server"})
        return out
    finally:
        server.stop()
