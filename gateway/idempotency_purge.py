"""The background purge of expired Idempotency-Key rows.

Claims purge a few expired keys each (gateway.idempotency), which keeps pace with a busy API; a quiet
deployment would keep its keys, and the answers they hold (tracking codes, statuses), long past
`api.idempotency_hours`. This loop removes them every PURGE_INTERVAL seconds whatever the traffic. It
needs no lease: deleting expired rows twice deletes nothing more, so every worker may run it.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.background import cancel_and_wait
from gateway.idempotency import IdempotencyKeys

log = logging.getLogger(__name__)

PURGE_INTERVAL = 600.0
"""Seconds between passes: a key outlives its hours by at most this (ten minutes of a day by default)."""


class IdempotencyPurge:
    """Runs `IdempotencyKeys.purge` at start, then every `interval` seconds, until stopped."""

    def __init__(self, keys: IdempotencyKeys, interval: float = PURGE_INTERVAL) -> None:
        self.keys = keys
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                purged = await self.keys.purge()
            except Exception as error:  # the store is away: look again next time
                log.warning("idempotency key purge failed (%s); next in %.0f s", error, self.interval)
            else:
                if purged:
                    log.info("idempotency keys: %d expired removed", purged)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self._run(), name="idempotency-purge")

    async def stop(self) -> None:
        """Cancel the loop and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
