"""The hop path's one hook: a meter per channel and dialect, bound when the routes are set up.

A hop only adds to plain counters of its meter (about a microsecond: two clock reads, a bisect and
three additions); `flush()` moves them into the Prometheus metrics, before a scrape in the process
that answers it and every `FLUSH_INTERVAL` in each worker (`endpoint`). Observing each hop into
prometheus-client's histogram directly cost 8-10 µs a hop (a lock per value, and under `--workers`
a write to a memory-mapped file per value), about 2% of a hop's CPU, for figures nobody reads
more often than every few seconds.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from typing import Any

from prometheus_client.metrics import Histogram

from flows.reply import Reply
from gateway.conversations import UNAVAILABLE
from gateway.observability.logs import new_request_id
from gateway.observability.metrics import HOP_BUCKETS, metrics

OUTCOMES = ("continued", "ended", "unavailable", "over_budget", "answered", "retry_later", "accepted", "duplicate")
"""How a hop or turn ended: a USSD page that waits for input or ends the session, the apology when the
session store is down, the hop budget run out; an SMS answered or to be resent by the provider; a bot
update taken or seen before."""


def outcome(reply: Reply) -> str:
    """How a USSD hop's reply ends it."""
    if reply is UNAVAILABLE:
        return "unavailable"
    return "ended" if reply.end else "continued"


def _buckets_of(child: Histogram) -> list[Any]:
    """The histogram's per-bucket values (not cumulative; one more than HOP_BUCKETS: +Inf). prometheus-client
    has no public way to add many observations at once; this fails loudly at start if its inside changes."""
    buckets = getattr(child, "_buckets", None)
    if not isinstance(buckets, list) or len(buckets) != len(HOP_BUCKETS) + 1 or not hasattr(child, "_sum"):
        raise RuntimeError("prometheus-client's Histogram changed inside: gateway/observability/hops.py needs a look")
    return buckets


class HopMeter:
    """One channel and dialect's hops, counted in plain numbers until flushed. `start` also gives the
    hop its request id."""

    def __init__(self, channel: str, dialect: str = "") -> None:
        found = metrics()
        self.histogram = found.hop_seconds.labels(channel, dialect)
        self.buckets = _buckets_of(self.histogram)
        self.counters = {name: found.hops.labels(channel, dialect, name) for name in OUTCOMES}
        self.tally = dict.fromkeys(OUTCOMES, 0)
        self.in_bucket = [0] * len(self.buckets)
        self.seconds = 0.0
        METERS.append(self)

    def start(self) -> float:
        """A new request id for the hop's logs and outbox rows; the hop's start time."""
        new_request_id()
        return time.perf_counter()

    def done(self, started: float, how: str) -> None:
        """Count the hop as ended `how` (one of OUTCOMES), with its duration."""
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        self.in_bucket[bisect_left(HOP_BUCKETS, elapsed)] += 1  # the first bound >= elapsed, as Histogram.observe
        self.tally[how] += 1

    def flush(self) -> None:
        """Move what was counted since the last flush into the Prometheus metrics."""
        if not any(self.tally.values()):
            return
        tally, self.tally = self.tally, dict.fromkeys(OUTCOMES, 0)
        in_bucket, self.in_bucket = self.in_bucket, [0] * len(self.buckets)
        seconds, self.seconds = self.seconds, 0.0
        for how, count in tally.items():
            if count:
                self.counters[how].inc(count)
        for value, count in zip(self.buckets, in_bucket):
            if count:
                value.inc(count)
        self.histogram._sum.inc(seconds)


class IdOnlyMeter(HopMeter):
    """`metrics.enabled: false`: the request id still, no counting."""

    def __init__(self) -> None:
        pass

    def done(self, started: float, how: str) -> None:
        """Nothing is counted."""

    def flush(self) -> None:
        """Nothing to move."""


METERS: list[HopMeter] = []
"""Every counting meter of this process, for `flush_all`."""


def flush_all() -> None:
    """Move every meter's counts into the Prometheus metrics."""
    for meter in METERS:
        meter.flush()


def hop_meter(enabled: bool, channel: str, dialect: str = "") -> HopMeter:
    """The meter a route binds at setup: counting when metrics are enabled."""
    return HopMeter(channel, dialect) if enabled else IdOnlyMeter()
