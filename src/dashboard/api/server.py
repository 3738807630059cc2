"""Serving the API: the settings read, a dead writer repaired, then uvicorn (httptools, uvloop)
until SIGTERM or SIGINT, after which in-flight requests finish and the buffer is written."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import uvicorn
from prometheus_client.registry import Collector

from dashboard.api.app import ApiConfig, ApiService, build_app
from dashboard.api.auth import load_tokens
from dashboard.api.fast import FastIngest
from dashboard.services.metrics import ModelMetricsCollector
from dashboard.settings import api_tokens_path, int_setting
from dashboard.store import Store

GRACE_SECONDS = 30  # after a stop signal, how long open requests get to finish
log = logging.getLogger(__name__)


def config_from_settings() -> ApiConfig:
    return ApiConfig(max_body_bytes=int_setting("DASHBOARD_API_MAX_BODY_BYTES", 1024, 2**31),
                     batch_ms=int_setting("DASHBOARD_API_BATCH_MS", 0, 1000),
                     batch_rows=int_setting("DASHBOARD_API_BATCH_ROWS", 1, 1_000_000),
                     buffer_rows=int_setting("DASHBOARD_API_BUFFER_ROWS", 1, 100_000_000),
                     rollup_seconds=int_setting("DASHBOARD_API_ROLLUP_SECONDS", 1, 3600))


def build_service(store: Store, extra: Iterable[Collector] = ()) -> ApiService:
    tokens = load_tokens(api_tokens_path())
    if not tokens:
        log.warning("no API token in %s: every request will get 401 (add one with `dashboard api token add`)",
                    api_tokens_path())
    return ApiService(store, tokens, config_from_settings(), tuple(extra))


def serve_api(store: Store, host: str, port: int, extra: Iterable[Collector] = ()) -> None:
    """Serve until stopped; GET /metrics carries the service's counters and the per-model figures."""
    models = ModelMetricsCollector(store.root)   # refreshed in its own thread when the rollups change
    try:
        service = build_service(store, (models, *extra))
        service.live.recover()   # a writer killed earlier (this service included): rollups repaired first
        server = uvicorn.Server(uvicorn.Config(FastIngest(service, build_app(service)), host=host, port=port,
                                               loop="uvloop", http="httptools", log_level="warning",
                                               access_log=False, timeout_graceful_shutdown=GRACE_SECONDS,
                                               lifespan="on"))
        server.run()
    finally:
        models.close()
