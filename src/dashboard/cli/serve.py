"""dashboard serve"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import fail
from dashboard.store import resolve_store_path

APP = Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")


def _run(args: argparse.Namespace) -> int:
    if not is_loopback(args.host):
        return fail(f"refusing to serve on {args.host}: without a configured identity provider the app "
                    "runs in local mode, which serves only on 127.0.0.1", code=2)
    if not APP.exists():
        return fail(f"the app entry point {APP} is missing; install the project with `pip install -e .`")
    store = resolve_store_path(getattr(args, "store", None))
    env = dict(os.environ, DASHBOARD_STORE=str(store))
    print(f"serving {store} on http://{args.host}:{args.port}", file=sys.stderr)
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", args.host,
           "--server.port", str(args.port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]
    return subprocess.call(cmd, env=env)


COMMANDS = [Command(("serve",), "Serve the app on http://127.0.0.1:8501.",
                    "Serve the Streamlit app on the store.\n\nExample:\n  dashboard --store var/store serve --port 8501",
                    _configure, _run)]
