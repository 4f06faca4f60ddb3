"""The hop path's one hook: a meter per channel and dialect, bound when the routes are set up."""

from __future__ import annotations

import time

from flows.reply import Reply
from gateway.conversations import UNAVAILABLE
from gateway.observability.logs import new_request_id
from gateway.observability.metrics import metrics

OUTCOMES = ("continued", "ended", "unavailable", "over_budget", "answered", "retry_later", "accepted", "duplicate")
"""How a hop or turn ended: a USSD page that waits for input or ends the session, the apology when the
session store is down, the hop budget run out; an SMS answered or to be resent by the provider; a bot
update taken or seen before."""


def outcome(reply: Reply) -> str:
    """How a USSD hop's reply ends it."""
    if reply is UNAVAILABLE:
        return "unavailable"
    return "ended" if reply.end else "continued"


class HopMeter:
    """One channel and dialect's hop counters, bound once (a `labels()` look-up per hop would cost as
    much as the count). `start` also gives the hop its request id."""

    def __init__(self, channel: str, dialect: str = "") -> None:
        found = metrics()
        self.seconds = found.hop_seconds.labels(channel, dialect)
        self.outcomes = {name: found.hops.labels(channel, dialect, name) for name in OUTCOMES}

    def start(self) -> float:
        """A new request id for the hop's logs and outbox rows; the hop's start time."""
        new_request_id()
        return time.perf_counter()

    def done(self, started: float, how: str) -> None:
        """Count the hop as ended `how` (one of OUTCOMES), with its duration."""
        self.seconds.observe(time.perf_counter() - started)
        self.outcomes[how].inc()


class IdOnlyMeter(HopMeter):
    """`metrics.enabled: false`: the request id still, no counting."""

    def __init__(self) -> None:
        pass

    def done(self, started: float, how: str) -> None:
        """Nothing is counted."""


def hop_meter(enabled: bool, channel: str, dialect: str = "") -> HopMeter:
    """The meter a route binds at setup: counting when metrics are enabled."""
    return HopMeter(channel, dialect) if enabled else IdOnlyMeter()
