"""What is read at scrape time rather than counted: the outbox queue, the health of the store, Redis
and the other readiness checks, and the content version this worker serves.

Read at most once per `CACHE_SECONDS` whatever the scrape rate (Prometheus every 15 s, or a scrape
storm): a scrape between two reads gets the last figures. The outbox read is two index look-ups
(outbox_due: state, next_attempt_at), never a scan of the sent history.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from flows.clock import Clock
from gateway.runtime import Gateway

CACHE_SECONDS = 5.0
CHECK_TIMEOUT = 1.0
"""Seconds a health check may take before it counts as down (as /readyz)."""
WAITING = ("pending", "sending")


@dataclass
class Snapshot:
    """The figures of one read."""

    depth: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WAITING, 0))
    oldest_due_age: float = 0.0
    checks: dict[str, bool] = field(default_factory=dict)
    content_version: int = 0


async def _check(answer: Awaitable[bool]) -> bool:
    try:
        return bool(await asyncio.wait_for(answer, CHECK_TIMEOUT))
    except Exception:
        return False


class GatewayCollector(Collector):
    """Gauges of one gateway, refreshed by `refresh()` (async, cached) before each scrape collects them."""

    def __init__(self, gateway: Gateway, clock: Clock) -> None:
        self.gateway = gateway
        self.clock = clock
        self.snapshot = Snapshot()
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Read the figures again unless the last read is younger than CACHE_SECONDS; concurrent
        scrapes wait for one read."""
        async with self._lock:
            if time.monotonic() - self._read_at < CACHE_SECONDS:
                return
            self.snapshot = await self._read()
            self._read_at = time.monotonic()

    async def _read(self) -> Snapshot:
        gateway = self.gateway
        checks = gateway.readiness.checks
        results = await asyncio.gather(*(_check(check()) for check in checks.values()))
        snapshot = Snapshot(checks=dict(zip(checks, results)), content_version=gateway.content.number)
        if snapshot.checks.get("store", True):
            await self._read_outbox(snapshot)
        else:  # reported by pishkhan_up{check="store"}; the queue's last known figures stay, not a false 0
            snapshot.depth, snapshot.oldest_due_age = self.snapshot.depth, self.snapshot.oldest_due_age
        return snapshot

    async def _read_outbox(self, snapshot: Snapshot) -> None:
        now = self.clock()
        db = self.gateway.db
        for state in WAITING:
            row = await db.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE state = ?", (state,))
            snapshot.depth[state] = int(row["n"]) if row else 0
        row = await db.fetchone("SELECT MIN(next_attempt_at) AS due FROM outbox WHERE state = 'pending'")
        if row and row["due"] is not None:
            snapshot.oldest_due_age = max(0.0, now - float(row["due"]))

    def collect(self) -> Iterator[Metric]:
        """The last read's figures as gauges."""
        snapshot = self.snapshot
        depth = GaugeMetricFamily("pishkhan_outbox_depth", "Outbox messages waiting to leave, by state", labels=["state"])
        for state, count in snapshot.depth.items():
            depth.add_metric([state], count)
        yield depth
        yield GaugeMetricFamily("pishkhan_outbox_oldest_pending_age_seconds",
                                "Seconds the longest-waiting pending message has been due (0: none due)",
                                value=snapshot.oldest_due_age)
        up = GaugeMetricFamily("pishkhan_up", "Whether each dependency answers (the checks of /readyz: store, redis, ...)",
                               labels=["check"])
        for name, ok in snapshot.checks.items():
            up.add_metric([name], 1.0 if ok else 0.0)
        yield up
        yield GaugeMetricFamily("pishkhan_content_version", "The content version (flows and catalogue) this worker serves",
                                value=snapshot.content_version)
