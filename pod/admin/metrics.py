"""Prometheus metrics: requests by method and status, their latency, connections, channels, usage.

One CollectorRegistry per application (no module-level state on the request path, DESIGN
"Growing past one process"); the text format is prometheus_client's own.
"""

from __future__ import annotations

import asyncio
import bisect
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from pod.admin.usage import UsageLedger

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: from a cached small GET (sub-millisecond) to a slow SPARQL query or upload.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Methods outside this set are counted as OTHER: a client must not grow the label space.
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"})


class _Gauges(Collector):
    """Values read at scrape time: connections, requests in flight, channels, quota usage."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        m = self.metrics
        open_connections = sum(1 for t in list(m.transports) if not t.is_closing())
        yield GaugeMetricFamily(
            "pod_http_connections_active",
            "Open client connections that have sent a request",
            open_connections,
        )
        yield GaugeMetricFamily("pod_http_requests_in_flight", "Requests being handled now", m.in_flight)
        if m.channels is not None:
            yield GaugeMetricFamily("pod_notification_channels", "Open notification channels", m.channels())
        if m.ledger is not None:
            used = m.ledger.known()
            yield GaugeMetricFamily(
                "pod_storage_used_bytes_total", "Bytes used by all pods", sum(used.values())
            )
            per_pod = GaugeMetricFamily("pod_storage_used_bytes", "Bytes used by each pod", labels=["pod"])
            for root, size in sorted(used.items(), key=lambda item: item[0].path):
                per_pod.add_metric([root.path], size)
            yield per_pod
            yield GaugeMetricFamily("pod_storages", "Pods served", len(used))


_BUCKET_BOUNDS = (*map(floatToGoString, BUCKETS), "+Inf")


@dataclass
class _Tally:
    """The requests of one method and status: how many, their seconds, and how many per bucket."""

    count: int = 0
    seconds: float = 0.0
    per_bucket: list[int] = field(default_factory=lambda: [0] * len(_BUCKET_BOUNDS))


class _RequestTallies(Collector):
    """Requests by method and status, and their latency, counted on the event loop with no lock
    (prometheus_client's Counter and Histogram take a lock per update, ~3 µs of every request)."""

    def __init__(self) -> None:
        self.tallies: dict[tuple[str, int], _Tally] = {}

    def record(self, method: str, status: int, seconds: float) -> None:
        label = method if method in METHODS else "OTHER"  # (a client's made-up methods are one label)
        tally = self.tallies.get((label, status))
        if tally is None:
            tally = self.tallies[(label, status)] = _Tally()
        tally.count += 1
        tally.seconds += seconds
        tally.per_bucket[bisect.bisect_left(BUCKETS, seconds)] += 1  # the first bound ≥ seconds

    def collect(self) -> Iterable[Metric]:
        requests = CounterMetricFamily(
            "pod_http_requests", "HTTP requests answered", labels=["method", "status"]
        )
        latency = HistogramMetricFamily(
            "pod_http_request_duration_seconds",
            "Time from a request's head to its handler's answer",
            labels=["method", "status"],
        )
        for (label, status), tally in sorted(self.tallies.items()):
            labels = [label, str(status)]
            requests.add_metric(labels, tally.count)
            cumulative, buckets = 0, []
            for bound, count in zip(_BUCKET_BOUNDS, tally.per_bucket, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric(labels, buckets, tally.seconds)
        yield requests
        yield latency


class Metrics:
    """The request metrics of one application and the middleware that records them."""

    def __init__(self, ledger: UsageLedger | None = None, channels: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.ledger = ledger
        self.channels = channels
        self.in_flight = 0
        # Transports of connections seen; a closed one drops out when it is collected.
        self.transports: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        self.requests = _RequestTallies()
        self.registry.register(self.requests)
        self.registry.register(_Gauges(self))

    def text(self) -> bytes:
        return generate_latest(self.registry)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Callable[..., object]) -> web.StreamResponse:
        started = time.perf_counter()
        if request.transport is not None:
            self.transports.add(request.transport)
        self.in_flight += 1
        status = 500
        try:
            response = await handler(request)  # type: ignore[misc]
            assert isinstance(response, web.StreamResponse)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            self.in_flight -= 1
            self.requests.record(request.method, status, time.perf_counter() - started)
