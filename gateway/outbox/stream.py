"""The outbox dispatched through a Redis Stream with a consumer group, when Redis is configured.

Polling SQLite from every worker costs a query per worker per second and a poll interval of
latency; a stream wakes the one consumer a message goes to at once. The SQLite row stays the
truth: a stream entry only says "look at row N". A consumer leases the row in SQLite before
sending (so a duplicate entry never sends twice), records the outcome there, and only then XACKs,
so an entry whose consumer died stays pending and is taken over (XAUTOCLAIM) once idle longer
than the lease. A retry is acknowledged with its new due time written to the row, and the
periodic reconciliation publishes rows that are due but not queued: retries, delayed messages and
anything enqueued while Redis was down or lost in a flush. Nothing is lost when Redis is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ResponseError

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.outbox import Dispatcher, Outbox, OutboxMessage, OutboxSettings, Sender, message_from_row
from gateway.outbox.queue import NOT_HELD
from gateway.state.connection import redis_client
from gateway.state.redis import RedisSettings
from gateway.state.resilient import OUTAGE_ERRORS
from gateway.store import Database

log = logging.getLogger(__name__)

BLOCK = 0.5
"""Seconds a read waits for new entries (a new message wakes it at once)."""

DUE = f"state IN ('pending', 'sending') AND next_attempt_at <= ? AND {NOT_HELD}"
"""A row to send: waiting, or leased by a worker that died (its lease ran out), and not waiting for
another message (a held entry is acknowledged untouched; reconciliation publishes it once free)."""


class OutboxStream:
    """The Redis side: the stream, its consumer group and the set of ids queued in it.

    The set is what lets reconciliation tell "due and already queued" from "due and lost" without
    reading the stream; it is changed in the same MULTI as the stream, so the two agree."""

    def __init__(self, client: Redis, prefix: str, group: str = "dispatchers") -> None:
        self.client = client
        self.key = f"{prefix}outbox:stream"
        self.queued = f"{prefix}outbox:queued"
        self.group = group

    @classmethod
    def connect(cls, settings: RedisSettings, block: float) -> OutboxStream:
        """A client of its own: a blocking read must not hit the state store's short timeout. No
        client-side retries: an enqueue while Redis is down must not hold up the webhook."""
        client = redis_client(
            settings, socket_timeout=settings.timeout + block, socket_connect_timeout=settings.connect_timeout, retry=Retry(NoBackoff(), 0),
        )
        return cls(client, settings.prefix)

    async def close(self) -> None:
        """Release the connections."""
        await self.client.aclose()

    async def ensure_group(self) -> None:
        """Create the stream and group if missing (first start, or a restarted or flushed Redis)."""
        try:
            await self.client.xgroup_create(self.key, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def publish(self, ids: list[int]) -> None:
        """Queue these outbox rows for some consumer."""
        if not ids:
            return
        async with self.client.pipeline(transaction=True) as pipe:
            for outbox_id in ids:
                pipe.xadd(self.key, {"id": outbox_id})
            pipe.sadd(self.queued, *ids)
            await pipe.execute()

    async def unqueued(self, ids: list[int]) -> list[int]:
        """Those of `ids` that are not in the stream."""
        if not ids:
            return []
        flags = await self.client.smismember(self.queued, ids)
        return [i for i, queued in zip(ids, flags) if not queued]

    async def take(self, consumer: str, count: int, block: float, min_idle: float) -> list[tuple[bytes, int]]:
        """Entries of dead consumers idle past `min_idle`, else new ones (waiting up to `block` s)."""
        _, claimed, _ = await self.client.xautoclaim(self.key, self.group, consumer, int(min_idle * 1000), "0-0", count=count)
        if not claimed:
            streams = await self.client.xreadgroup(self.group, consumer, {self.key: ">"}, count=count, block=int(block * 1000) or None)
            # redis-py types the answer for RESP2 and RESP3; connect() speaks RESP2 (its default): [[stream, entries]]
            assert isinstance(streams, list)
            claimed = streams[0][1] if streams else []
        return [(entry_id, int(fields[b"id"])) for entry_id, fields in claimed if fields]

    async def prune(self, keep: str, idle: float) -> list[str]:
        """Drop consumers with nothing pending that have been idle `idle` s (workers long gone, each
        restart names a new one); their names. One with pending entries stays until those are taken over."""
        consumers = await self.client.xinfo_consumers(self.key, self.group)
        gone = [c["name"].decode() for c in consumers
                if c["pending"] == 0 and c["idle"] >= idle * 1000 and c["name"].decode() != keep]
        for name in gone:
            await self.client.xgroup_delconsumer(self.key, self.group, name)
        return gone

    async def done(self, entry_id: bytes, outbox_id: int) -> None:
        """Acknowledge and drop an entry whose outcome is recorded in SQLite."""
        async with self.client.pipeline(transaction=True) as pipe:
            # one call a line: redis-py types a queued command as an Awaitable, not as the pipeline it returns
            pipe.xack(self.key, self.group, entry_id)
            pipe.xdel(self.key, entry_id)
            pipe.srem(self.queued, outbox_id)
            await pipe.execute()


class StreamOutbox(Outbox):
    """The outbox table, publishing each new message to the stream after its row is committed."""

    def __init__(self, db: Database, stream: OutboxStream, settings: OutboxSettings | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(db, settings, clock)
        self.stream = stream

    async def enqueue(self, *args: Any, **kwargs: Any) -> int | None:
        """As Outbox.enqueue; a Redis failure is logged, not raised: the row is safe and the
        reconciliation publishes it (a delayed message is left to it too)."""
        row_id = await super().enqueue(*args, **kwargs)
        if row_id is not None and not kwargs.get("delay"):
            try:
                await self.stream.publish([row_id])
            except OUTAGE_ERRORS as error:
                log.warning("outbox %d stored; Redis unavailable (%s), it is published when Redis is back", row_id, error.__class__.__name__)
        return row_id

    async def claim(self, message_id: int) -> OutboxMessage | None:
        """Lease one row if it is due; None when sent, final, not yet due or leased by a live worker."""
        now = self.clock()
        row = await self.db.grouped(lambda conn: conn.fetchone(  # with the other entries' claims of this read
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?, updated_at = ?"
            f" WHERE id = ? AND {DUE} RETURNING *",
            (now + self.settings.lease, now, message_id, now),
        ))
        return None if row is None else message_from_row(dict(row))

    async def due_ids(self, limit: int) -> list[int]:
        """Rows that should be in the stream now, oldest first."""
        rows = await self.db.fetchall(f"SELECT id FROM outbox WHERE {DUE} ORDER BY next_attempt_at LIMIT ?", (self.clock(), limit))
        return [r["id"] for r in rows]


def stop_requested() -> None:
    """Raise CancelledError if this task was asked to stop. redis-py can swallow a cancellation that
    lands while it reads a reply (seen with a blocking XREADGROUP: the command then returns, or fails
    as a timeout); the loop would run on and `stop()` would wait for it forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def default_consumer() -> str:
    """This process's name in the consumer group: unique per host and process."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class StreamDispatcher(Dispatcher):
    """Sends what the stream hands this consumer; reconciles the stream with SQLite every few seconds."""

    outbox: StreamOutbox
    consumer: str = field(default_factory=default_consumer)
    block: float = BLOCK
    reconcile_interval: float = 2.0
    reconcile_limit: int = 5000
    prune_idle: float = 3600.0
    """Seconds a consumer with nothing pending may stay silent before it is dropped from the group."""
    clock: Clock = time.monotonic
    """Schedules reconciliation (an interval, so monotonic); a test moves it instead of sleeping."""
    _next_reconcile: float = 0.0

    async def reconcile(self) -> int:
        """Publish due rows missing from the stream; how many. Also recreates a lost group and
        drops the consumers of workers long gone."""
        stream = self.outbox.stream
        await stream.ensure_group()
        await stream.prune(self.consumer, self.prune_idle)
        missing = await stream.unqueued(await self.outbox.due_ids(self.reconcile_limit))
        await stream.publish(missing)
        if missing:
            log.info("outbox: published %d due messages missing from the stream", len(missing))
        return len(missing)

    async def run_once(self) -> int:
        """Reconcile when due, then take and deliver one batch of entries; how many were taken."""
        if self.clock() >= self._next_reconcile:
            await self.reconcile()
            self._next_reconcile = self.clock() + self.reconcile_interval
        s = self.outbox.settings
        try:
            entries = await self.outbox.stream.take(self.consumer, s.batch, self.block, s.lease)
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            self._next_reconcile = 0.0  # Redis restarted or was flushed: recreate and refill now
            return 0
        if not entries:  # the block passed with nothing new: no lease keeper to start
            return 0
        async with self.leases_kept() as unsent:
            await asyncio.gather(*(self._handle(entry_id, outbox_id, unsent) for entry_id, outbox_id in entries))
        return len(entries)

    async def _handle(self, entry_id: bytes, outbox_id: int, unsent: set[int]) -> None:
        message = await self.outbox.claim(outbox_id)
        if message is not None:
            await self.deliver_kept(message, unsent)  # records sent, retry, failed, dead or suppressed in SQLite
        await self.outbox.stream.done(entry_id, outbox_id)

    async def run(self) -> None:
        """Loop until cancelled; while Redis is down, wait a little and try again."""
        while True:
            stop_requested()
            try:
                await self.run_once()
            except Exception as error:
                stop_requested()
                if isinstance(error, OUTAGE_ERRORS):
                    log.warning("outbox stream: Redis unavailable (%s); messages wait in the store", error.__class__.__name__)
                else:
                    log.exception("outbox stream pass failed")
                await asyncio.sleep(self.outbox.settings.poll_interval)

    async def close(self) -> None:
        """Release the stream's Redis connections."""
        await self.outbox.stream.close()


def open_stream_outbox(db: Database, settings: RedisSettings, clock: Clock = SYSTEM_CLOCK) -> StreamOutbox:
    """The outbox as the gateway writes it when Redis is configured: rows in the store, ids on the stream."""
    return StreamOutbox(db, OutboxStream.connect(settings, BLOCK), clock=clock)


def dispatcher_for(outbox: Outbox, senders: dict[str, Sender]) -> Dispatcher:
    """The dispatcher that reads `outbox` the way it is queued: the stream's consumer group, or the store."""
    if isinstance(outbox, StreamOutbox):
        return StreamDispatcher(outbox, senders)
    return Dispatcher(outbox, senders)
