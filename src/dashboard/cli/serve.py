"""dashboard serve: local mode on 127.0.0.1, or any address once an identity provider is configured."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
import threading
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from dashboard.cli import Command
from dashboard.cli._common import fail
from dashboard.errors import DashboardError

APP = Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py"
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
# A served app's sources do not change while it runs. Streamlit's file watcher would still watch
# every imported module of every new session (inotify), and run a full garbage collection after
# every script run (runner.postScriptGC), walking objects that are not garbage; Python's own
# generational collection still reclaims cycles (issue 21: both measured with 50 sessions).
SERVER_OPTIONS = ("--server.fileWatcherType", "none", "--runner.postScriptGC", "false")
STOP_GRACE_SECONDS = 5.0   # after a stop signal, how long Streamlit gets to close before it is killed
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """Where Streamlit reads secrets.toml, in its order (later files win)."""
    here = cwd or Path.cwd()
    return [Path.home() / ".streamlit" / "secrets.toml", here / ".streamlit" / "secrets.toml",
            APP.parent / ".streamlit" / "secrets.toml"]


class SecretsError(DashboardError, ValueError):
    """secrets.toml exists but is unusable; the message names the file and the key."""


def auth_section(paths: list[Path]) -> dict[str, Any] | None:
    """The merged [auth] section Streamlit will see, or None when no file has one."""
    merged: dict[str, Any] = {}
    for path in paths:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SecretsError(f"{path} cannot be read: {exc}") from None
        merged.update(data)
    auth = merged.get("auth")
    if auth is None:
        return None
    if not isinstance(auth, Mapping):
        raise SecretsError("[auth] in secrets.toml must be a table")
    return dict(auth)


def check_auth_section(auth: Mapping[str, Any]) -> list[str]:
    """What is missing for st.login to work (empty: complete)."""
    missing = [k for k in ("redirect_uri", "cookie_secret") if not auth.get(k)]
    providers = [v for v in auth.values() if isinstance(v, Mapping)]
    if not all(auth.get(k) for k in PROVIDER_KEYS) and not any(all(p.get(k) for k in PROVIDER_KEYS)
                                                                for p in providers):
        missing.append(" and ".join(PROVIDER_KEYS) + " (in [auth] or an [auth.<provider>] table)")
    if str(auth.get("redirect_uri", "")) and not str(auth.get("redirect_uri")).endswith("/oauth2callback"):
        missing.append("a redirect_uri ending in /oauth2callback")
    return missing


def run_supervised(cmd: Sequence[str], env: Mapping[str, str], grace: float = STOP_GRACE_SECONDS) -> int:
    """Run `cmd` as a child that stops with this process; its exit status, or 128+N after signal N.

    SIGTERM, SIGINT and SIGHUP are passed on to the child (a supervisor signals this process
    only), which then has `grace` seconds to exit before it is killed, so nothing keeps the port.
    A signal this process was started ignoring (nohup) stays ignored.
    """
    import subprocess

    received: list[int] = []
    child: subprocess.Popen[bytes] | None = None
    killer: threading.Timer | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal killer
        received.append(signum)
        if child is None:
            return   # not started yet: sent on as soon as it is
        child.send_signal(signum)
        if killer is None:
            killer = threading.Timer(grace, child.kill)
            killer.daemon = True
            killer.start()

    previous = {s: signal.getsignal(s) for s in FORWARDED}
    for sig, handler in previous.items():
        if handler != signal.SIG_IGN:
            signal.signal(sig, forward)
    try:
        child = subprocess.Popen(list(cmd), env=dict(env))
        if received:
            forward(received.pop(0), None)
        code = child.wait()
    finally:
        if killer is not None:
            killer.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        return 128 + received[0]
    return 128 - code if code < 0 else code   # -N: the child died of signal N


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; another address needs an identity provider)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")


def _run(args: argparse.Namespace) -> int:
    from dashboard.analytics.access import is_loopback
    from dashboard.services.stores import resolve_store_path

    try:
        auth = auth_section(secrets_files())
    except SecretsError as exc:
        return fail(f"{exc}; fix it (see .streamlit/secrets.toml.example) before serving", code=2)
    if auth is None and not is_loopback(args.host):
        return fail(f"refusing to serve on {args.host}: without a configured identity provider the app "
                    "runs in local mode (no login), which serves only on 127.0.0.1. Configure [auth] in "
                    ".streamlit/secrets.toml (see the README) to serve it to others.", code=2)
    if auth is not None:
        missing = check_auth_section(auth)
        if missing:
            return fail("the [auth] section of .streamlit/secrets.toml lacks " + "; ".join(missing), code=2)
        if importlib.util.find_spec("authlib") is None:
            return fail("login needs Authlib: pip install 'Authlib>=1.3.2'", code=2)
    if not APP.exists():
        return fail(f"the app entry point {APP} is missing; install the project with `pip install -e .`")
    if not 0 < args.port < 65536:
        return fail(f"--port must be between 1 and 65535, got {args.port}")
    store = resolve_store_path(getattr(args, "store", None))
    env = dict(os.environ, DASHBOARD_STORE=str(store))
    mode = "login through the identity provider" if auth is not None else "local mode, no login"
    print(f"serving {store} on http://{args.host}:{args.port} ({mode})", file=sys.stderr)
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", args.host,
           "--server.port", str(args.port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", *SERVER_OPTIONS]
    return run_supervised(cmd, env)


COMMANDS = [Command(("serve",), "Serve the app on http://127.0.0.1:8501.",
                    "Serve the Streamlit app on the store. Without an identity provider ([auth] in "
                    ".streamlit/secrets.toml) it serves only on 127.0.0.1 (local mode).\n\n"
                    "Runs until stopped: SIGTERM, SIGINT (Ctrl-C) or SIGHUP stop Streamlit too (killed if it\n"
                    f"has not exited {STOP_GRACE_SECONDS:.0f} s later) and the command exits with 128 + the signal's\n"
                    "number (143 for SIGTERM, 130 for SIGINT), so it can run under a supervisor.\n\nExample:\n"
                    "  dashboard --store var/store serve --port 8501",
                    _configure, _run)]
