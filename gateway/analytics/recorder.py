"""Getting the counts into the store: a background loop flushes them every `flush_interval` seconds
(and once more when the gateway stops), each flush one transaction of additive UPSERTs, so the
counts of every process and host add up and a flush that fails is simply retried with the next."""

from __future__ import annotations

import asyncio
import logging

from gateway.analytics.settings import AnalyticsSettings
from gateway.analytics.tally import DROPS, EXITS, SECONDS, STARTED, SUBMITTED, VISITS, Counts, Tally
from gateway.background import cancel_and_wait
from gateway.state import StateStore
from gateway.store import Database

log = logging.getLogger(__name__)

_NODES = ("INSERT INTO analytics_nodes (day, channel, node, visits, exits, drops) VALUES (?, ?, ?, ?, ?, ?)"
          " ON CONFLICT (day, channel, node) DO UPDATE SET visits = analytics_nodes.visits + excluded.visits,"
          " exits = analytics_nodes.exits + excluded.exits, drops = analytics_nodes.drops + excluded.drops")
_CHANNELS = ("INSERT INTO analytics_channels (day, channel, sessions) VALUES (?, ?, ?)"
             " ON CONFLICT (day, channel) DO UPDATE SET sessions = analytics_channels.sessions + excluded.sessions")
_SERVICES = ("INSERT INTO analytics_services (day, channel, service_id, started, submitted, submit_seconds) VALUES (?, ?, ?, ?, ?, ?)"
             " ON CONFLICT (day, channel, service_id) DO UPDATE SET started = analytics_services.started + excluded.started,"
             " submitted = analytics_services.submitted + excluded.submitted,"
             " submit_seconds = analytics_services.submit_seconds + excluded.submit_seconds")


async def write(db: Database, counts: Counts) -> None:
    """Add `counts` to the stored aggregates, in one transaction."""
    async with db.transaction() as tx:
        if counts.nodes:
            await tx.executemany(_NODES, [(*key, row[VISITS], row[EXITS], row[DROPS]) for key, row in sorted(counts.nodes.items())])
        if counts.channels:
            await tx.executemany(_CHANNELS, [(*key, n) for key, n in sorted(counts.channels.items())])
        if counts.services:
            await tx.executemany(_SERVICES, [(*key, int(row[STARTED]), int(row[SUBMITTED]), row[SECONDS])
                                             for key, row in sorted(counts.services.items())])


class Recorder:
    """Flushes a Tally to the store in the background."""

    def __init__(self, tally: Tally, db: Database, state: StateStore, settings: AnalyticsSettings) -> None:
        self.tally = tally
        self.db = db
        self.state = state
        self.interval = settings.flush_interval
        self._task: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()

    async def flush(self) -> None:
        """Look for abandoned conversations, then write every count so far; counts a failed write
        took are kept for the next flush."""
        async with self._flushing:  # the loop's flush and a stop's last one never write the same counts twice
            try:
                await self.tally.sweep(self.state)
            except Exception as error:  # the state store is down: the sweep is done again next time
                log.warning("analytics: abandoned conversations not looked for: %s", error)
            counts = self.tally.take()
            if not counts:
                return
            try:
                await write(self.db, counts)
            except BaseException:
                self.tally.counts.add(counts)
                raise

    async def run(self) -> None:
        """Flush every `interval` seconds until cancelled; a failed flush is logged and retried."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                log.exception("analytics flush failed; its counts are kept for the next")

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self.run(), name="analytics-recorder")

    async def stop(self) -> None:
        """Stop the loop and flush what is left (conversations still open are not counted)."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        try:
            await self.flush()
        except Exception:  # the store is going away too: these counts are lost, and said to be
            log.exception("analytics: the last flush failed")
