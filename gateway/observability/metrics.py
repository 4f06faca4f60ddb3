"""The process's Prometheus metrics and the few calls that move them.

Counted where things happen (a hop, a send, a delivery report, a payment's move), in memory or,
under `serve --workers N`, in the per-process files prometheus-client merges at scrape time. What
the store knows (the outbox queue) is read at scrape time instead (`collectors`).

Labels are bounded by construction: channels, dialects, configured provider names and fixed state
names; never a phone number, an address, a tracking code or free text.

The metrics are made on first use, not at import: `serve` imports this module before it knows
whether it will fork workers, and prometheus-client decides between in-memory and multiprocess
values when a metric is made (see `_values`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Histogram, values

HOP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds. A hop is answered in a few milliseconds; aggregators give up near 15 s and we at 5 (HOP_BUDGET)."""

def _values() -> None:
    """Have prometheus-client pick its value class now: it chose when first imported, which under
    `serve --workers N` is before the supervisor set PROMETHEUS_MULTIPROC_DIR (inherited by the
    workers), and in-memory values there would leave each worker's counts unseen by the others' scrapes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and values.ValueClass is values.MutexValue:
        values.ValueClass = values.get_value_class()


@dataclass(frozen=True)
class Metrics:
    """Every metric this process moves, registered in its own registry (not the library's global one)."""

    registry: CollectorRegistry
    hops: Counter
    hop_seconds: Histogram
    sends: Counter
    provider_errors: Counter
    deliveries: Counter
    payments: Counter


@cache
def metrics() -> Metrics:
    """The process's metrics, made on first use."""
    _values()
    registry = CollectorRegistry(auto_describe=True)
    return Metrics(
        registry=registry,
        hops=Counter("pishkhan_hops", "Hops (USSD) and turns (SMS, bots) answered, by how they ended",
                     ("channel", "dialect", "outcome"), registry=registry),
        hop_seconds=Histogram("pishkhan_hop_duration_seconds", "Seconds from a hop's arrival to its answer",
                              ("channel", "dialect"), buckets=HOP_BUCKETS, registry=registry),
        sends=Counter("pishkhan_outbox_sends", "Outbox messages a provider accepted", ("channel", "provider"), registry=registry),
        provider_errors=Counter("pishkhan_outbox_errors", "Outbox sends that did not go, by what happens next: "
                                "retry (pending again), failed (refused for good), dead (out of attempts), suppressed (opted out)",
                                ("channel", "result"), registry=registry),
        deliveries=Counter("pishkhan_sms_delivery_reports", "SMS delivery reports, by the state they report",
                           ("provider", "state"), registry=registry),
        payments=Counter("pishkhan_payment_transitions", "Payments moved to a state", ("state",), registry=registry),
    )


def count_send(channel: str, provider: str) -> None:
    """A provider accepted an outbox message."""
    metrics().sends.labels(channel, provider).inc()


def count_error(channel: str, result: str) -> None:
    """An outbox send did not go (`result`: retry, failed, dead or suppressed)."""
    metrics().provider_errors.labels(channel, "retry" if result == "pending" else result).inc()


def count_delivery(provider: str, state: str) -> None:
    """A delivery report of a configured provider, in its normalised state."""
    metrics().deliveries.labels(provider, state).inc()


def count_payment(state: str) -> None:
    """A payment moved to `state` (the state machine's names)."""
    metrics().payments.labels(state).inc()
