"""The periodic task that keeps payments honest when callbacks never come.

Citizens close the browser on the bank's page, phones lose signal, processes restart: every
`sweep_interval` seconds the sweeper re-verifies pending payments that went to the provider
without a callback, expires links nobody used, and finishes follow-ups a crash interrupted: a link
never queued (or queued and not marked), a fee left with no payment, a state not synced.

One worker on one host sweeps at a time, under the store's lease `payments-sweep`: N hosts would
otherwise ask the provider about each pending payment N times. The lease is an economy, not what
keeps a sweep correct (every change a sweep makes is a compare-and-set in the store), so a pass
that outlives its lease and overlaps the next holder's does no harm.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

from gateway.background import cancel_and_wait
from gateway.payments.service import PaymentService
from gateway.store import Database

log = logging.getLogger(__name__)

LEASE = "payments-sweep"
LEASE_PASSES = 3
"""The lease lasts this many intervals: a holder that died is replaced after at most that long."""


class Sweeper:
    """Runs `PaymentService.sweep` in the background until stopped."""

    def __init__(self, payments: PaymentService, db: Database, interval: float) -> None:
        self.payments = payments
        self.db = db
        self.interval = interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # one per sweeper, even two in a process
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Sweep while holding the lease, sleep, repeat; a failed pass is logged and the next one tries again."""
        while True:
            try:
                if not await self.db.lease(LEASE, self.holder, LEASE_PASSES * self.interval, time.time()):
                    await asyncio.sleep(self.interval)
                    continue
                counts = await self.payments.sweep()
                if any(counts.values()):
                    log.info("payment sweep: %s", ", ".join(f"{k} {v}" for k, v in counts.items() if v))
            except Exception:
                log.exception("payment sweep failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self.run(), name="payment-sweeper")

    async def stop(self) -> None:
        """Cancel the background loop, wait for it to end and give the lease up, so another worker
        takes over at its next pass rather than when the lease runs out."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
            try:
                await self.db.release(LEASE, self.holder)
            except Exception as error:  # the store is going away too: the lease runs out by itself
                log.warning("payment sweep lease not released (%s); it runs out within %.0f s", error, LEASE_PASSES * self.interval)
