"""`GET /metrics`: the Prometheus text exposition, for the scrapers `metrics:` allows.

Under `serve --workers N` whichever worker a scrape reaches answers for all of them: the counters
come from every worker's files in PROMETHEUS_MULTIPROC_DIR, the gauges read at scrape time
(`collectors`) from the store and this worker.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from gateway.background import cancel_and_wait
from gateway.observability.collectors import GatewayCollector
from gateway.observability.hops import flush_all
from gateway.observability.metrics import metrics
from gateway.observability.multiprocess import ENV
from gateway.observability.settings import MetricsSettings
from gateway.runtime import GATEWAY

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0
"""Seconds between two flushes of this worker's hop counts: how late a scrape answered by another worker may be."""


FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
"""Headers a reverse proxy adds: the TCP peer of such a request is the proxy, whatever client it came from."""


class Scrapers:
    """Who may scrape: the bearer token when set, and the allowed addresses when listed (both, when both are).

    Without a token, a scrape that came through a reverse proxy is refused: the peer the allow-list
    sees is the proxy (loopback, for an nginx beside the gateway), which would open /metrics to
    whoever reaches the proxy. Prometheus scrapes the gateway's own port."""

    def __init__(self, settings: MetricsSettings) -> None:
        self.token = settings.token.encode()
        self.networks = [ipaddress.ip_network(n, strict=False) for n in settings.allow_ips]

    def refusal(self, request: web.Request) -> tuple[int, str] | None:
        """(status, why) when the scrape is refused; None when it may go on. Never says the token."""
        if self.networks:
            try:
                peer = ipaddress.ip_address(request.remote or "")
            except ValueError:
                return 403, "unreadable client address"
            if not any(peer in network for network in self.networks):
                return 403, f"{peer} is not in metrics.allow_ips"
        if self.token:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token):
                return 401, "a wrong or missing bearer token (metrics.token)"
        elif any(header in request.headers for header in FORWARDED):
            return 403, "came through a proxy, whose address says nothing of the client: scrape the gateway's port, or set metrics.token"
        return None


class ProcessMetrics(Collector):
    """This process's counters, when it is the only one (no multiprocess directory)."""

    def collect(self) -> Iterator[Metric]:
        yield from metrics().registry.collect()


def exposition(gateway_collector: GatewayCollector) -> bytes:
    """Every metric in the text format: the processes' counters and the gateway's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(ENV)
    if directory:
        MultiProcessCollector(registry, directory)
    else:
        registry.register(ProcessMetrics())
    registry.register(gateway_collector)
    return generate_latest(registry)


SCRAPE = web.AppKey("metrics_scrape", GatewayCollector)
SCRAPERS = web.AppKey("metrics_scrapers", Scrapers)


async def scrape(request: web.Request) -> web.Response:
    """One scrape, when the scraper is allowed."""
    refusal = request.app[SCRAPERS].refusal(request)
    if refusal is not None:
        status, why = refusal
        log.warning("/metrics refused: %s", why)
        return web.Response(status=status, text=f"refused: {why}\n",
                            headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)
    collector = request.app[SCRAPE]
    flush_all()  # this process's latest hops; the other workers' come with their next flush
    await collector.refresh()
    body = await asyncio.to_thread(exposition, collector)  # the workers' files are read: not on the event loop
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    """Register GET /metrics, unless `metrics.enabled` is false."""
    gateway = app[GATEWAY]
    settings = gateway.settings.metrics
    if not settings.enabled:
        return
    app[SCRAPERS] = Scrapers(settings)
    app[SCRAPE] = GatewayCollector(gateway, gateway.outbox.clock)
    app.router.add_get("/metrics", scrape)
    app.cleanup_ctx.append(flushing)


async def flushing(_: web.Application) -> AsyncIterator[None]:
    """Flush the hop meters every FLUSH_INTERVAL while serving (a scrape may reach another worker), and at the end."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            flush_all()

    task = asyncio.create_task(loop(), name="metrics-flush")
    yield
    await cancel_and_wait(task)
    flush_all()
