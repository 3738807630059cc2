"""The ASGI application: routes, the group commit and the background rollup refresh.

`ApiService.ingest` is the one ingest path; `api/fast.py` serves it as plain ASGI, and the
FastAPI routes here document it (OpenAPI) and serve it when the app is mounted on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from dashboard.api.activity import ANONYMOUS, Activity
from dashboard.api.auth import Authenticator, Token
from dashboard.api.batcher import Answer, BufferFull, GroupCommit
from dashboard.api.bodies import ACCEPTED, BodyError, read_body
from dashboard.api.metrics import build_registry
from dashboard.services.live_ingest import LiveIngest
from dashboard.store import Store

log = logging.getLogger(__name__)
# Activity events (per token, per log, refusals) are written at most this often, and at exit:
# a few thousand files a day however busy the API is.
ACTIVITY_SECONDS = 60.0
BODY_DOC = {"requestBody": {"required": True, "content": {
    t: {"schema": {"type": "string", "format": "binary"}} if "json" not in t else {"schema": {}}
    for t in ACCEPTED}}}


@dataclass(frozen=True)
class ApiConfig:
    max_body_bytes: int
    batch_ms: int
    batch_rows: int
    buffer_rows: int
    rollup_seconds: float


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


class ApiService:
    """The service's state: store, tokens, group commit, counters; `app` serves it."""

    def __init__(self, store: Store, tokens: dict[str, Token], config: ApiConfig,
                 extra_collectors: tuple[Collector, ...] = ()) -> None:
        self.store, self.config = store, config
        self.auth = Authenticator(tokens)
        self.live = LiveIngest(store)
        self.activity = Activity()
        self.commit = GroupCommit(self._write, config.batch_ms, config.batch_rows, config.buffer_rows,
                                  on_write=lambda s, _n: self.metrics.write_seconds.observe(s))
        self.registry, self.metrics = build_registry(lambda: self.commit.buffered, store.count_quarantined,
                                                     extra_collectors)
        self._stop_refresh = threading.Event()
        self._refresher = threading.Thread(target=self._refresh_loop, name="rollup-refresh", daemon=True)

    def _write(self, kind: str, rows: Any) -> Any:
        outcome = self.live.write(kind, rows)
        counts = [outcome.status.count(s) for s in ("stored", "skipped", "rejected")]
        self.activity.written(kind, len(outcome.status), *counts)
        return outcome

    def _refresh_loop(self) -> None:
        flushed = time.monotonic()
        while not self._stop_refresh.wait(self.config.rollup_seconds):
            due = time.monotonic() - flushed >= ACTIVITY_SECONDS
            self.refresh(activity=due)
            flushed = time.monotonic() if due else flushed

    def refresh(self, activity: bool = True) -> None:
        """Rollups of the days written since the last refresh, and (when due) the activity events."""
        try:
            self.live.refresh_rollups()
        except Exception:  # the markers stay: the next refresh or any writer repairs them
            log.exception("the rollup refresh failed; it is retried")
        if activity:
            self.activity.flush(self.store)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        self.commit.start()
        self._refresher.start()
        try:
            yield
        finally:  # SIGTERM: uvicorn lets requests finish, then this writes what is left
            await asyncio.to_thread(self.commit.stop)
            self._stop_refresh.set()
            await asyncio.to_thread(self._refresher.join)
            await asyncio.to_thread(self.refresh)

    # ------------------------------------------------------------------ requests
    def authorize(self, header: str | None, route: str, scope: str) -> Token | Reply:
        token = self.auth.identify(header)
        if token is None:
            why = "no token" if not header else "unknown token"
            self.activity.refused(ANONYMOUS, route, 401, why)
            self._count(ANONYMOUS, route, 401)
            return Reply(401, {"detail": f"{why}: send Authorization: Bearer <token>"},
                         {"WWW-Authenticate": "Bearer"})
        if scope not in token.scopes:
            self.activity.refused(token.name, route, 403, f"no {scope} scope")
            self._count(token.name, route, 403)
            return Reply(403, {"detail": f"token {token.name!r} has no {scope!r} scope"})
        return token

    def _count(self, who: str, route: str, status: int, rows: int = 0, rejected: int = 0) -> None:
        self.metrics.requests.labels(route, str(status)).inc()
        self.activity.request(who, route, status, rows, rejected)

    async def ingest(self, kind: str, headers: Mapping[str, str], chunks: AsyncIterator[bytes]) -> Reply:
        """One POST /v1/<kind>: token, size, body, queued rows; answered once they are durable."""
        route = f"/v1/{kind}"
        token = self.authorize(headers.get("authorization"), route, kind)
        if isinstance(token, Reply):
            return token
        body = await read_limited(headers.get("content-length"), chunks, self.config.max_body_bytes)
        if body is None:
            self._count(token.name, route, 413)
            return Reply(413, {"detail": f"the body is over {self.config.max_body_bytes:,} bytes; send it in parts"})
        try:
            rows = read_body(headers.get("content-type"), body)
            future = self.commit.submit(kind, rows)
        except BodyError as exc:
            self._count(token.name, route, exc.status)
            return Reply(exc.status, {"detail": str(exc)})
        except BufferFull as exc:
            self._count(token.name, route, 429)
            return Reply(429, {"detail": f"busy: {exc}; retry shortly"}, {"Retry-After": "1"})
        count = rows.num_rows if isinstance(rows, pa.Table) else len(rows)
        try:
            answer = await future
        except Exception as exc:  # noqa: BLE001 - the write failed: nothing of this request is acknowledged
            self._count(token.name, route, 503, count)
            return Reply(503, {"detail": f"the rows could not be stored ({exc}); send them again"},
                         {"Retry-After": "1"})
        status = 422 if answer.rejected else 200
        self.metrics.rows.labels(kind).inc(count)
        if answer.rejected:
            self.metrics.rejects.labels(kind).inc(len(answer.rejected))
        self._count(token.name, route, status, count, len(answer.rejected))
        return Reply(status, answer_body(answer))


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return json_response(self.status, self.body, self.headers)


async def read_limited(declared: str | None, chunks: AsyncIterator[bytes], limit: int) -> bytes | None:
    """The body, or None when it is over `limit` (checked on Content-Length, then while reading)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def answer_body(answer: Answer) -> dict[str, Any]:
    body: dict[str, Any] = {"stored": answer.stored, "skipped": answer.skipped, "rejected": len(answer.rejected)}
    if answer.rejected:
        body["errors"] = [{"row": row, "reason": why} for row, why in answer.rejected]
        body["quarantine"] = answer.quarantine
        body["detail"] = ("some rows were rejected and kept in quarantine with their reasons; the other rows of "
                          "this request are stored (sending them again skips them)")
    return body


def build_app(service: ApiService) -> FastAPI:
    app = FastAPI(title="Credit model dashboard: ingest API", version="1", lifespan=service.lifespan,
                  description="Send each decision as it is made (a JSON object), or many (a JSON array, JSON "
                              "Lines, Arrow IPC or Parquet). A 2xx means the rows are durable. Bearer tokens "
                              "from `dashboard api token add`.")

    # Documented here; served by `FastIngest` in front of FastAPI (the same `ApiService.ingest`).
    @app.post("/v1/predictions", openapi_extra=BODY_DOC, summary="Store predictions (scope predictions)")
    async def post_predictions(request: Request) -> Response:
        return (await service.ingest("predictions", request.headers, request.stream())).response()

    @app.post("/v1/outcomes", openapi_extra=BODY_DOC, summary="Store outcomes (scope outcomes)")
    async def post_outcomes(request: Request) -> Response:
        return (await service.ingest("outcomes", request.headers, request.stream())).response()

    @app.get("/healthz", summary="Liveness, and rows waiting to be written")
    async def healthz() -> Response:
        return json_response(200, {"status": "ok", "buffered_rows": service.commit.buffered})

    @app.get("/metrics", summary="Prometheus metrics (scope metrics)")
    async def metrics(request: Request) -> Response:
        token = service.authorize(request.headers.get("authorization"), "/metrics", "metrics")
        if isinstance(token, Reply):
            return token.response()
        service._count(token.name, "/metrics", 200)
        payload = await asyncio.to_thread(generate_latest, service.registry)
        return Response(payload, 200, media_type=CONTENT_TYPE_LATEST)

    return app
