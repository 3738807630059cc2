"""Benchmark: many users at once on one served app (issue 21).

Starts a real `dashboard serve` on 127.0.0.1 over STORE and drives N concurrent sessions with
Streamlit's own websocket protocol (the messages a browser tab sends: a rerun with the page,
query string and widget values; the server then runs the page script and streams its
elements until "script finished"). No browser per session, so the two shared cores go to
the server, which is what is measured. Each session follows its role's path, page after page,
with a think time between views, until the phase's time is up:

- credit officers: Decisions queue, its pages 2 and 3 (the page number input), then one
  application opened from the queue (?application=, as a row pick does), round again;
- executives: Overview, Impact, Thresholds, Model cards;
- data scientists: Overview, Drift, Thresholds, Challengers, Performance.

Sessions take roles in the order credit officer, data scientist, executive, credit officer
(so half are credit officers). A page view = one rerun message until its script finished;
its time is from the send to the "script finished" message (every element received). An
error = an exception element, a page not found, a compile error, a dropped connection or a
view not finished within --timeout. Per phase the server is new, warmed by one untimed pass
of each role path; then CPU seconds of the server process (utime + stime from /proc) over
the phase divided by the page views; peak memory = the server's VmHWM.

`--browsers K` adds a run of K headless Chromium sessions (Playwright) over the same
role paths on a server of its own, as the check that real pages cost the server the same
and show no exception.

The store is only read when browsing, except the audit trail's `view_application` events
(who saw which application): the benchmark lists every file that changed under the store
and refuses a read-only shared store; give it a hard-linked copy (`cp -al`, safe because the
store publishes new files by rename and never rewrites one).

Run: .venv/bin/python benchmarks/bench_users.py STORE [--users 1,10,25,50] [--seconds 60]
     [--think 5,10] [--browsers 3]
Writes benchmarks/results/users-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_browser import _free_port
from benchmarks.common import write_results

ROOT = Path(__file__).resolve().parents[1]
MIX = ("credit_officer", "data_scientist", "executive", "credit_officer")
PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    # (page slug, action): "" a plain view, "page:N" the queue's page N, "open" one application
    "credit_officer": (("decisions", ""), ("decisions", "page:2"), ("decisions", "page:3"), ("decisions", "open")),
    "executive": (("overview", ""), ("impact", ""), ("thresholds", ""), ("models", "")),
    "data_scientist": (("overview", ""), ("drift", ""), ("thresholds", ""), ("challengers", ""),
                       ("performance", "")),
}
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------- the server


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(c) for c in text)
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts[:8]) - idle) / TICK, sum(parts[:8]) / TICK


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    pid: int          # the streamlit process (the serve command supervises it)
    port: int

    def cpu(self) -> float:
        return cpu_seconds(self.pid) + cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_server(store: Path, source: Path | None = None) -> Server:
    """`dashboard serve` on a free port; with `source`, the package (and its app) from that
    folder's src/ instead of the installed one (the baseline of a before/after comparison)."""
    port = _free_port()
    env = dict(os.environ, DASHBOARD_STORE=str(store))
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")
    dashboard = Path(sys.executable).with_name("dashboard")
    proc = subprocess.Popen([str(dashboard), "--store", str(store), "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    import socket
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                kids = _children(proc.pid)
                if kids:
                    return Server(proc, kids[0], port)
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the app did not start within 120 s")


# ---------------------------------------------------------------------- one session


@dataclass
class View:
    role: str
    page: str
    action: str
    seconds: float
    error: str = ""
    cpu_s: float = 0.0


@dataclass
class Session:
    port: int
    role: str
    applications: list[str]
    rng: random.Random
    timeout: float = 60.0
    hashes: dict[str, str] = field(default_factory=dict)   # url path -> page script hash
    page_input: str = ""                                   # the queue's page number input id
    table: int = 0                                         # digest of the first table of the last view
    views: list[View] = field(default_factory=list)

    async def view(self, ws: Any, page: str, action: str) -> View:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

        query = {"role": self.role}
        widgets = WidgetStates()
        if action == "open" and self.applications:
            query["application"] = self.rng.choice(self.applications)
        elif action.startswith("page:") and self.page_input:
            widgets.widgets.append(WidgetState(id=self.page_input, int_value=int(action[5:])))
        state = ClientState(query_string=urlencode(query), widget_states=widgets)
        if page in self.hashes:
            state.page_script_hash = self.hashes[page]
        else:  # the first view of a session: the page's URL path (the default page has none)
            state.page_name = "" if page == "overview" else page
        shown_before, self.table = self.table, 0
        start = time.perf_counter()
        await ws.send(BackMsg(rerun_script=state).SerializeToString())
        error = await self.until_finished(ws)
        if not error and action.startswith("page:") and self.table == shown_before:
            error = "the queue showed the same rows as before"  # the page number was not applied
        return View(self.role, page, action, time.perf_counter() - start, error)

    async def until_finished(self, ws: Any) -> str:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        error = ""
        deadline = time.perf_counter() + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return "timeout"
            raw = await asyncio.wait_for(ws.recv(), left)
            msg = ForwardMsg.FromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.hashes.update({p.url_pathname or "overview": p.page_script_hash
                                    for p in msg.navigation.app_pages})
            elif kind == "page_not_found":
                error = error or "page not found"
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    error = error or f"exception: {element.exception.message[:200]}"
                elif which == "number_input" and element.number_input.label.startswith("Page (of"):
                    self.page_input = element.number_input.id
                elif which == "dataframe" and not self.table:
                    self.table = hash(element.dataframe.SerializeToString())
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    return "compile error"
                if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return error

    async def run(self, until: float, think: tuple[float, float], start_after: float, once: bool = False) -> None:
        from websockets.asyncio.client import connect

        await asyncio.sleep(start_after)
        path = PATHS[self.role]
        url = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        try:
            async with connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=self.timeout) as ws:
                step = 0
                while time.monotonic() < until and not (once and step == len(path)):
                    page, action = path[step % len(path)]
                    try:
                        self.views.append(await self.view(ws, page, action))
                    except TimeoutError:
                        self.views.append(View(self.role, page, action, self.timeout, "timeout"))
                        return
                    step += 1
                    if not once:
                        await asyncio.sleep(self.rng.uniform(*think))
        except Exception as exc:  # noqa: BLE001  (a dropped connection is an error of the view it interrupted)
            self.views.append(View(self.role, "?", "", 0.0, f"connection: {exc!r}"[:200]))


async def drive(port: int, users: int, seconds: float, think: tuple[float, float], applications: list[str],
                seed: int = 21, once: bool = False) -> list[View]:
    until = time.monotonic() + seconds
    sessions = [Session(port, MIX[i % len(MIX)], applications, random.Random(seed + i)) for i in range(users)]
    starts = [0.0 if once else random.Random(seed * 1000 + i).uniform(0, think[1]) for i in range(users)]
    await asyncio.gather(*(s.run(until, think, a, once) for s, a in zip(sessions, starts, strict=True)))
    return [v for s in sessions for v in s.views]


# ---------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarize(views: list[View]) -> dict[str, Any]:
    times = [v.seconds for v in views if not v.error]
    errors = [f"{v.role}/{v.page}{'/' + v.action if v.action else ''}: {v.error}" for v in views if v.error]
    per_page: dict[str, list[float]] = {}
    for v in views:
        if not v.error:
            per_page.setdefault(f"{v.page}{'/' + v.action.split(':')[0] if v.action else ''}", []).append(v.seconds)
    return {"views": len(views), "errors": len(errors), "error_samples": errors[:10],
            "p50_s": round(percentile(times, 0.5), 3), "p95_s": round(percentile(times, 0.95), 3),
            "max_s": round(max(times), 3) if times else None,
            "per_page_p50_s": {k: round(statistics.median(v), 3) for k, v in sorted(per_page.items())}}


def sample_applications(store: Path, count: int = 200) -> list[str]:
    """Application ids of the champion's last days, as the queue lists them (read with pyarrow)."""
    import pyarrow.parquet as pq

    days = sorted((store / "predictions").glob("model_id=*champion*/date=*")) or \
        sorted((store / "predictions").glob("model_id=*/date=*"))
    ids: list[str] = []
    for day in reversed(days[-7:]):
        for part in sorted(day.glob("part-*.parquet")):
            ids.extend(pq.read_table(part, columns=["application_id"]).column(0).to_pylist())
        if len(ids) >= count * 10:
            break
    return random.Random(5).sample(ids, min(count, len(ids)))


def store_files(store: Path) -> dict[str, int]:
    return {str(p.relative_to(store)): p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()}


def changed_files(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(k for k, v in after.items() if before.get(k) != v)


def wait_until_idle(server: Server, limit_s: float = 90.0) -> None:
    """After the warm pass: until the server's background warm-up is over (under 5% of a core
    for a second), so that the phase measures page views only."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = server.cpu()
        time.sleep(1.0)
        if server.cpu() - before < 0.05:
            return


def run_phase(store: Path, users: int, seconds: float, think: tuple[float, float],
              applications: list[str], source: Path | None = None) -> dict[str, Any]:
    server = start_server(store, source)
    try:
        warm_start = time.perf_counter()
        warm_views = asyncio.run(drive(server.port, len(MIX) - 1, 600, think, applications, once=True))
        warm_s = time.perf_counter() - warm_start
        wait_until_idle(server)
        cpu0, (busy0, total0), me0 = server.cpu(), machine_busy(), time.process_time()
        load0 = os.getloadavg()
        t0 = time.perf_counter()
        views = asyncio.run(drive(server.port, users, seconds, think, applications))
        wall = time.perf_counter() - t0
        cpu = server.cpu() - cpu0
        busy1, total1 = machine_busy()
        me = time.process_time() - me0
        out = summarize(views)
        done = max(1, out["views"] - out["errors"])
        out.update({
            "users": users, "code": str(source) if source else "this checkout", "seconds": round(wall, 1), "views_per_s": round(out["views"] / wall, 2),
            "server_cpu_s": round(cpu, 1), "cpu_s_per_view": round(cpu / done, 3),
            "server_cpu_share_of_2_cores": round(cpu / wall / 2, 2),
            "generator_cpu_s": round(me, 1),
            "machine_busy_share": round((busy1 - busy0) / (total1 - total0), 2),
            "others_cpu_s": round(max(0.0, busy1 - busy0 - cpu - me), 1),
            "load_average_at_start": [round(x, 2) for x in load0],
            "peak_rss_mb": round(peak_rss_mb(server.pid), 1),
            "warm_pass": {"views": len(warm_views), "seconds": round(warm_s, 1),
                          "errors": [v.error for v in warm_views if v.error]},
        })
        return out
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--users", default="1,10,25,50", help="session counts, one phase each")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--think", default="5,10", help="think time between a session's views: min,max seconds")
    parser.add_argument("--browsers", type=int, default=0, help="also K Chromium sessions (the check)")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before (its src/ is served with "
                        "PYTHONPATH): each phase runs on it, then on this checkout")
    parser.add_argument("--out", default="users", help="name of the results file")
    args = parser.parse_args()
    store = args.store.resolve()
    if str(store).startswith("/work/bench-stores"):
        parser.error("the app writes audit events when an application is opened: give a hard-linked copy "
                     "(cp -al) of the shared store, not the store itself")
    think = tuple(float(x) for x in args.think.split(","))
    assert len(think) == 2
    applications = sample_applications(store)
    before = store_files(store)
    phases = []
    variants = ([args.baseline.resolve()] if args.baseline else []) + [None]
    for users, source in ((int(u), v) for u in args.users.split(",") for v in variants):
        phase = run_phase(store, users, args.seconds, (think[0], think[1]), applications, source)
        print(f"{'before' if source else 'now':6s} N={users:3d} views {phase['views']:4d} errors {phase['errors']:3d} p50 {phase['p50_s']:.2f} s "
              f"p95 {phase['p95_s']:.2f} s cpu/view {phase['cpu_s_per_view']:.3f} s peak {phase['peak_rss_mb']:.0f} MB "
              f"machine busy {phase['machine_busy_share']:.0%}", flush=True)
        phases.append(phase)
    figures: dict[str, Any] = {"store": str(store), "think_s": think, "phase_seconds": args.seconds,
                               "mix": list(MIX), "paths": {k: list(v) for k, v in PATHS.items()}, "phases": phases}
    if args.browsers:
        from benchmarks.bench_users_browser import browser_phase
        figures["browser"] = browser_phase(store, args.browsers, args.seconds, (think[0], think[1]), applications)
        print(f"browsers: {figures['browser']}", flush=True)
    changed = changed_files(before, store_files(store))
    figures["store_files_written"] = {"count": len(changed),
                                      "outside_audit_events": [c for c in changed if not c.startswith("events/audit/")]}
    print(write_results(args.out, figures).read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
