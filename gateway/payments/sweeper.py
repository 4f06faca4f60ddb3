"""The periodic task that keeps payments honest when callbacks never come.

Citizens close the browser on the bank's page, phones lose signal, processes restart: every
`sweep_interval` seconds the sweeper re-verifies pending payments that went to the provider
without a callback, expires links nobody used, and finishes follow-ups a crash interrupted: a link
never queued (or queued and not marked), a fee left with no payment, a state not synced.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.background import cancel_and_wait
from gateway.payments.service import PaymentService

log = logging.getLogger(__name__)


class Sweeper:
    """Runs `PaymentService.sweep` in the background until stopped."""

    def __init__(self, payments: PaymentService, interval: float) -> None:
        self.payments = payments
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Sweep, sleep, repeat; a failed pass is logged and the next one tries again."""
        while True:
            try:
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
        """Cancel the background loop and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
