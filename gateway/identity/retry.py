"""The background pass over requests waiting for the identity check, and the clean-up of the cache and of past days' limits.

One worker on one host at a time, under the store's lease `identity-retry`: several would ask the
provider the same question at once. Correctness does not rest on the lease: a request submitted
twice is one request (`submission_key`), and a refusal's message has one outbox key per waiting row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence

from gateway.background import cancel_and_wait
from gateway.identity.gate import IdentityGate
from gateway.store import Database

log = logging.getLogger(__name__)

LEASE = "identity-retry"

Prune = Callable[[], Awaitable[int]]
"""Deletes rows past their lifetime; how many."""


class IdentityRetry:
    """Runs `IdentityGate.retry_waiting` and the prunes (the cache's, the limit's) every `interval` seconds until stopped."""

    def __init__(self, gate: IdentityGate, prunes: Sequence[Prune], db: Database, interval: float) -> None:
        self.gate, self.prunes, self.db, self.interval = gate, prunes, db, interval
        self.holder = f"identity:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None

    async def once(self) -> int:
        """One pass if this worker holds the lease; how many waiting requests were settled."""
        if not await self.db.lease(LEASE, self.holder, 3 * self.interval, self.gate.clock()):
            return 0
        settled = await self.gate.retry_waiting()
        for prune in self.prunes:
            await prune()
        return settled

    async def _run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.interval)
                try:
                    settled = await self.once()
                except Exception as error:  # the store is away: look again next time
                    log.warning("identity retry pass failed (%s); next in %.0f s", error, self.interval)
                    continue
                if settled:
                    log.info("identity retry: %d waiting request(s) settled", settled)
        finally:  # stopped: give the lease up, so another worker takes over at its next pass
            with contextlib.suppress(Exception):  # the store is going away too: the lease runs out by itself
                await self.db.release(LEASE, self.holder)

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self._run(), name="identity-retry")

    async def stop(self) -> None:
        """Cancel the loop (which gives its lease up) and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
