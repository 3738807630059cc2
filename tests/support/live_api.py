"""The ingest API in a real uvicorn subprocess on 127.0.0.1, with a tiny registered model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.api.auth import add_token
from dashboard.models.card import parse_card
from dashboard.store import Store
from tests.support.browser import free_port, wait_port
from tests.support.tiny_impact import TINY_MODEL, tiny_card


@dataclass
class LiveApi:
    proc: subprocess.Popen[bytes]
    port: int
    store_dir: Path
    secrets: dict[str, str]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def post(self, path: str, body: bytes, token: str | None = "writer",
             content_type: str = "application/json") -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"Content-Type": content_type}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.secrets.get(token, token)}"
        request = urllib.request.Request(self.url(path), data=body, headers=headers, method="POST")
        return _send(request)

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.secrets[token]}"} if token else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url(path), headers=headers), timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)


def _send(request: urllib.request.Request) -> tuple[int, dict[str, Any], dict[str, str]]:
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}"), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), {k.lower(): v for k, v in exc.headers.items()}


def tiny_api_store(root: Path) -> Store:
    store = Store(root)
    store.register_model(parse_card(tiny_card(), "tiny"))
    return store


def prediction(i: int, **changes: Any) -> dict[str, Any]:
    row = {"prediction_id": f"p{i}", "model_id": TINY_MODEL, "timestamp": "2026-05-01T10:00:00Z",
           "application_id": f"a{i}", "score": 0.1 + (i % 80) / 100, "decision": "approve", "x1": float(i),
           "sex": "F" if i % 2 else "M", "latency_ms": 12.0}
    row.update(changes)
    return row


def start_api(tmp: Path, env: dict[str, str] | None = None) -> LiveApi:
    store_dir = tmp / "store"
    if not store_dir.exists():
        tiny_api_store(store_dir)
    tokens = tmp / "tokens.json"
    secrets = {}
    if not tokens.exists():
        secrets = {"writer": add_token(tokens, "writer", ["predictions", "outcomes"]),
                   "scraper": add_token(tokens, "scraper", ["metrics"])}
        (tmp / "secrets.json").write_text(json.dumps(secrets))
    secrets = json.loads((tmp / "secrets.json").read_text())
    port = free_port()
    full_env = {**os.environ, "DASHBOARD_API_TOKENS": str(tokens), "DASHBOARD_API_ROLLUP_SECONDS": "1",
                **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "--store", str(store_dir), "api", "--port",
                             str(port)], env=full_env, stdout=subprocess.DEVNULL,
                            stderr=(tmp / "api.log").open("ab"))
    wait_port(port, proc, timeout=60)
    deadline = time.monotonic() + 30
    api = LiveApi(proc, port, store_dir, secrets)
    while api.get("/healthz")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    return api
