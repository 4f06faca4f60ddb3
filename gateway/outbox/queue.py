"""The durable outbox and its dispatcher: messages are written first, then sent with retries.

A webhook never waits on a provider: it enqueues. The dispatcher claims due messages, hands each
to the sender registered for its channel, and records the outcome: `sent`, a retry with
exponential backoff (retryable ProviderError: 5xx, timeouts, 429), `failed` (not retryable: 4xx)
or `dead` after `max_attempts`, or `suppressed` when the sender declined it on purpose (a number
that opted out): final, but not an error, so operators filtering failures see only real problems.

Several workers share one outbox. Claiming a message leases it (`sending` until
`next_attempt_at`); a live worker renews the leases of the messages of its pass that have not left
yet (a provider paced at 1 a second takes 200 s over a pass of 200), so no other worker touches
them. A message whose lease ran out was claimed by a process that died mid-send: any worker
claims it again. That is the only case a provider may see a message twice (Kannel and Jasmin take
no idempotency key, so a send that died mid-call cannot be told from one that never left).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from flows.clock import SYSTEM_CLOCK, Clock
from flows.errors import PishkhanError, ProviderError
from flows.masking import masked
from gateway.background import cancel_and_wait
from gateway.observability.logs import carried, with_request_id
from gateway.observability.metrics import count_error, count_send
from gateway.store import Database, Row, Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxMessage:
    """A message waiting to leave, as a sender sees it."""

    id: int
    channel: str
    address: str
    text: str
    kind: str
    meta: Mapping[str, Any]
    attempts: int
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a message."""

    provider: str
    provider_message_id: str | None = None
    record: Callable[[Transaction], Awaitable[str | None]] | None = None
    """What the sender keeps about the send (SMS: its delivery record), written in the transaction that
    marks the message sent: one commit for both, and never one without the other. It returns the
    row's delivery state (None: none to set), written with the sent mark."""


class Suppressed(PishkhanError):
    """A sender's refusal to send a message at all (the recipient opted out); its words are the reason kept."""


class Sender(Protocol):
    """Delivers outbox messages of one channel; raises ProviderError when the provider refuses,
    Suppressed when the message must not go."""

    channel: str

    async def send(self, message: OutboxMessage) -> SendResult:
        """Hand one message to the provider."""


class LogSender:
    """Stands in for a channel with no provider configured: logs (masked) and counts as sent."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    async def send(self, message: OutboxMessage) -> SendResult:
        log.info("outbox %s to %s (no %s provider configured): %d characters", message.kind, masked(message.address), self.channel, len(message.text))
        return SendResult(provider="log")


@dataclass(frozen=True)
class OutboxSettings:
    """Retry policy of the dispatcher."""

    max_attempts: int = 6
    lease: float = 120.0
    """Seconds a claimed message is left to its claimer; longer than any sender's timeout."""
    base_delay: float = 2.0
    max_delay: float = 600.0
    poll_interval: float = 1.0
    batch: int = 200
    """Messages claimed a pass. Under load the dispatcher's share of the event loop grows with what it
    has in flight: at 50 it got a third of it and replies fell seconds behind the texts (bench/sms_load.py)."""


def message_from_row(row: Mapping[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"], channel=row["channel"], address=row["address"], text=row["text"], kind=row["kind"],
        meta=json.loads(row["meta"] or "{}"), attempts=row["attempts"], idempotency_key=row["idempotency_key"],
    )


NOT_HELD = ("NOT EXISTS (SELECT 1 FROM outbox earlier WHERE earlier.idempotency_key = outbox.after_key"
            " AND earlier.state IN ('pending', 'sending'))")
"""SQL: the message this row waits for (`after_key`), if any, has left or been given up on."""


class Outbox:
    """The outbox table: enqueue, claim what is due, record outcomes."""

    def __init__(self, db: Database, settings: OutboxSettings | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.settings = settings or OutboxSettings()
        self.clock = clock  # due times and leases; a test moves it instead of sleeping
        self.wake = asyncio.Event()

    async def enqueue(
        self,
        channel: str,
        address: str,
        text: str,
        *,
        kind: str = "notification",
        meta: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        delay: float = 0.0,
        after: str | None = None,
        service_id: str | None = None,
    ) -> int | None:
        """Store a message to send; with an idempotency key a second enqueue is ignored (None). With
        `after` (another message's idempotency key) it is not sent while that one waits to be: a
        payment link follows its receipt even when both are due at once. `service_id` is the service the
        message is about (a request's, a complaint's): operators scoped to its agency see it (gateway.scopes)."""
        now = self.clock()
        params = (channel, address, text, kind, json.dumps(with_request_id(meta), ensure_ascii=False), now + delay, idempotency_key, after,
                  service_id, now, now)

        async def insert(conn: Transaction) -> Row | None:
            return await conn.fetchone(
                "INSERT INTO outbox (channel, address, text, kind, meta, next_attempt_at, idempotency_key, after_key, service_id, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id", params)

        row = await self.db.grouped(insert)  # committed with the other messages queued meanwhile
        self.wake.set()
        return None if row is None else int(row["id"])

    async def claim_due(self, limit: int) -> list[OutboxMessage]:
        """Lease up to `limit` due messages (pending, or `sending` under an expired lease) and return them."""
        now = self.clock()
        async with self.db.transaction() as conn:
            rows = await conn.fetchall(
                f"SELECT * FROM outbox WHERE state IN ('pending', 'sending') AND next_attempt_at <= ? AND {NOT_HELD}"
                f" ORDER BY next_attempt_at, id LIMIT ?{conn.skip_locked}",
                (now, limit),
            )
            await conn.executemany(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE id = ?",
                [(now + self.settings.lease, now, r["id"]) for r in rows],
            )
        return [message_from_row({**r, "attempts": r["attempts"] + 1}) for r in rows]

    async def renew(self, message_ids: Collection[int]) -> None:
        """Extend the lease of messages this worker claimed and is still sending."""
        now = self.clock()
        async with self.db.transaction() as conn:
            await conn.executemany("UPDATE outbox SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'sending'",
                                   [(now + self.settings.lease, now, message_id) for message_id in message_ids])

    async def mark_sent(self, message_id: int, result: SendResult) -> None:
        """The provider accepted the message; what the sender keeps about the send (`result.record`)
        commits with it."""
        now = self.clock()

        async def record(conn: Transaction) -> None:
            delivery = await result.record(conn) if result.record is not None else None
            await conn.execute(
                "UPDATE outbox SET state = 'sent', provider = ?, provider_message_id = ?, last_error = NULL, updated_at = ?,"
                " delivery = COALESCE(?, delivery) WHERE id = ?",
                (result.provider, result.provider_message_id, now, delivery, message_id),
            )

        await self.db.grouped(record)

    async def mark_error(self, message: OutboxMessage, error: ProviderError) -> str:
        """Record a failed attempt; the new state (`pending` for a retry, `failed` or `dead`)."""
        s = self.settings
        if not error.retryable:
            state, delay = "failed", 0.0
        elif message.attempts >= s.max_attempts:
            state, delay = "dead", 0.0
        else:
            state = "pending"
            delay = error.retry_after if error.retry_after is not None else min(s.max_delay, s.base_delay * 2 ** (message.attempts - 1))
        now = self.clock()
        await self.db.grouped(lambda conn: conn.execute(
            "UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
            (state, str(error)[:500], now + delay, now, message.id),
        ))
        return state

    async def mark_suppressed(self, message_id: int, reason: str) -> None:
        """The sender declined the message on purpose: final, and not a failure (`last_error` keeps why)."""
        now = self.clock()
        await self.db.grouped(lambda conn: conn.execute(
            "UPDATE outbox SET state = 'suppressed', last_error = ?, updated_at = ? WHERE id = ?", (reason[:500], now, message_id),
        ))

    async def get(self, message_id: int) -> dict[str, Any] | None:
        """One row, for operators and tests."""
        return await self.db.fetchone("SELECT * FROM outbox WHERE id = ?", (message_id,))


@dataclass
class Dispatcher:
    """Sends due outbox messages through the sender registered for each channel."""

    outbox: Outbox
    senders: dict[str, Sender] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def sender_for(self, channel: str) -> Sender:
        """The channel's sender, or one that logs when none is configured."""
        return self.senders.get(channel) or self.senders.setdefault(channel, LogSender(channel))

    async def run_once(self) -> int:
        """Send one batch of due messages; how many were attempted. Messages to different addresses go
        at once; one address's go one after the other, in the order they were queued (a citizen who
        texts twice gets the replies in that order)."""
        messages = await self.outbox.claim_due(self.outbox.settings.batch)
        if not messages:  # an idle poll: no lease keeper to start
            return 0
        by_address: dict[str, list[OutboxMessage]] = {}
        for message in messages:
            by_address.setdefault(message.address, []).append(message)
        async with self.leases_kept() as unsent:
            unsent.update(message.id for message in messages)
            await asyncio.gather(*(self._deliver_in_turn(queued, unsent) for queued in by_address.values()))
        return len(messages)

    @contextlib.asynccontextmanager
    async def leases_kept(self) -> AsyncIterator[set[int]]:
        """A set of the pass's claimed message ids whose leases are renewed every third of a lease
        until they leave it (`deliver_kept` takes them out)."""
        unsent: set[int] = set()
        keeper = asyncio.create_task(self._keep_leases(unsent))
        try:
            yield unsent
        finally:
            await cancel_and_wait(keeper)

    async def _keep_leases(self, unsent: set[int]) -> None:
        while True:
            await asyncio.sleep(self.outbox.settings.lease / 3)
            if unsent:
                try:
                    await self.outbox.renew(set(unsent))
                except Exception:  # a store hiccup: the next renewal may still come in time
                    log.warning("outbox: could not renew the leases of %d message(s)", len(unsent), exc_info=True)

    async def _deliver_in_turn(self, messages: list[OutboxMessage], unsent: set[int]) -> None:
        for message in messages:
            await self.deliver_kept(message, unsent)

    async def deliver_kept(self, message: OutboxMessage, unsent: set[int]) -> None:
        """Send a message whose lease is kept in `unsent`, and stop keeping it."""
        unsent.add(message.id)
        try:
            await self._deliver(message)
        finally:
            unsent.discard(message.id)

    async def _deliver(self, message: OutboxMessage) -> None:
        with carried(message.meta):  # the request id of the hop that queued it, on the provider call's lines
            await self._send(message)

    async def _send(self, message: OutboxMessage) -> None:
        try:
            result = await self.sender_for(message.channel).send(message)
        except Suppressed as reason:
            await self.outbox.mark_suppressed(message.id, str(reason))
            count_error(message.channel, "suppressed")
            log.info("outbox %d to %s suppressed: %s", message.id, masked(message.address), reason)
        except ProviderError as error:
            state = await self.outbox.mark_error(message, error)
            count_error(message.channel, state)
            log.warning("outbox %d to %s: %s (now %s)", message.id, masked(message.address), error, state)
        except Exception as error:  # a sender bug must not stop the dispatcher or lose the message
            log.exception("outbox %d: sender crashed", message.id)
            count_error(message.channel, await self.outbox.mark_error(message, ProviderError(f"sender crashed: {error!r}", retryable=True)))
        else:
            await self.outbox.mark_sent(message.id, result)
            count_send(message.channel, result.provider)
            log.info("outbox %d %s to %s sent by %s", message.id, message.kind, masked(message.address), result.provider)

    async def run(self) -> None:
        """Loop until cancelled: send what is due, then sleep until woken or the poll interval passes."""
        while True:
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox dispatcher pass failed")
                sent = 0
            if sent:
                continue
            self.outbox.wake.clear()
            try:
                await asyncio.wait_for(self.outbox.wake.wait(), self.outbox.settings.poll_interval)
            except TimeoutError:
                pass

    async def close(self) -> None:
        """Release connections of its own (this one has none: it only uses the store)."""

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self.run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        """Cancel the background loop and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
