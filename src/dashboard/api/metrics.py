"""The service's Prometheus counters, in a registry of its own that other collectors can join
(the per-model figures: `build_registry(..., extra=(collector,))`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.registry import Collector

WRITE_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry, buffered: Callable[[], float],
                 quarantined: Callable[[], float]) -> None:
        self.requests = Counter("dashboard_api_requests", "HTTP requests served, by route and status",
                                ["route", "status"], registry=registry)
        self.rows = Counter("dashboard_api_rows", "rows received, by log", ["log"], registry=registry)
        self.rejects = Counter("dashboard_api_rejected_rows", "rows rejected and quarantined, by log", ["log"],
                               registry=registry)
        self.write_seconds = Histogram("dashboard_api_write_seconds",
                                       "seconds to write one group-committed batch durably",
                                       buckets=WRITE_BUCKETS, registry=registry)
        self.buffer = Gauge("dashboard_api_buffer_rows", "rows received and not yet durable", registry=registry)
        self.buffer.set_function(buffered)
        self.quarantine = Gauge("dashboard_quarantined_ingests", "ingests with rejected rows kept in quarantine",
                                registry=registry)
        self.quarantine.set_function(quarantined)


def build_registry(buffered: Callable[[], float], quarantined: Callable[[], float],
                   extra: Iterable[Collector] = ()) -> tuple[CollectorRegistry, ServiceMetrics]:
    """A registry with the service's counters and any `extra` collectors."""
    registry = CollectorRegistry(auto_describe=True)
    metrics = ServiceMetrics(registry, buffered, quarantined)
    for collector in extra:
        registry.register(collector)
    return registry, metrics
