"""Queues, every few seconds, the citizen's message of any request event committed without it.

A request (or a status change) is committed first and its message queued in a second transaction,
so the store failing between the two (PostgreSQL restarting, a host killed) leaves the event
unnotified: the citizen saw a tracking code and gets no SMS. Repaired only when a worker starts,
that message would wait for a restart, which on several hosts over one store may never come. Every
worker repairs, with no lease: queuing is idempotent (one outbox row per idempotency key, also when
the worker that committed the event queues it at the same moment), and the look-up reads a partial
index of the few unnotified events.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from gateway.background import cancel_and_wait

log = logging.getLogger(__name__)

REPAIR_INTERVAL = 5.0
"""Seconds between two looks: a receipt missed during a store outage goes out seconds after it ends."""


class Resender(Protocol):
    """A service whose events each owe the citizen a message (requests, complaints)."""

    async def resend_unnotified(self, limit: int = 500) -> int:
        """Queue the messages left unqueued; how many."""


class NotifyRepair:
    """Runs `resend_unnotified` of the request (or complaint) service in the background until stopped (the start did one pass)."""

    def __init__(self, requests: Resender, interval: float = REPAIR_INTERVAL) -> None:
        self.requests = requests
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                repaired = await self.requests.resend_unnotified()
            except Exception as error:  # the store is still away: look again next time
                log.warning("could not look for request messages left unqueued (%s); next look in %.0f s", error, self.interval)
                continue
            if repaired:
                log.info("queued %d request message(s) a store failure had kept from the outbox", repaired)

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self.run(), name="request-notify-repair")

    async def stop(self) -> None:
        """Cancel the background loop and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
