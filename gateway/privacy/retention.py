"""The retention job: every `privacy.sweep_interval` seconds, requests finished more than
`privacy.retention_days` ago lose their personal inputs (gateway.privacy.erasure), keeping the
anonymous facts statistics need, and messages that left the outbox before the period lose their texts.

One worker on one host erases at a time, under the store's lease `privacy-retention`; the lease is an
economy (each erasure re-reads its request under a lock and skips one already erased), so two passes
that overlap do no harm. The time comes from the injected clock, so tests move it by hand.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.background import cancel_and_wait
from gateway.privacy.service import PrivacyService

log = logging.getLogger(__name__)

LEASE = "privacy-retention"
LEASE_PASSES = 3
"""The lease lasts this many intervals: a holder that died is replaced after at most that long."""


class RetentionJob:
    """Runs `PrivacyService.sweep` in the background until stopped."""

    def __init__(self, privacy: PrivacyService, clock: Clock = SYSTEM_CLOCK) -> None:
        self.privacy = privacy
        self.clock = clock
        self.interval = privacy.settings.sweep_interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One pass if this worker holds the lease: how many requests were erased (0 without the lease)."""
        if not await self.privacy.db.lease(LEASE, self.holder, LEASE_PASSES * self.interval, self.clock()):
            return 0
        swept = await self.privacy.sweep()
        if swept.requests or swept.messages:
            log.info("privacy retention: personal inputs of %d finished requests and texts of %d old messages erased",
                     swept.requests, swept.messages)
        return swept.requests

    async def run(self) -> None:
        """Pass, sleep, repeat; a failed pass is logged and the next one tries again."""
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("privacy retention pass failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self.run(), name="privacy-retention")

    async def stop(self) -> None:
        """Cancel the loop and give the lease up for the next worker."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
            try:
                await self.privacy.db.release(LEASE, self.holder)
            except Exception as error:  # the store is going away too: the lease runs out by itself
                log.warning("privacy retention lease not released (%s)", error)
