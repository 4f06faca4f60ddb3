"""The outbox on a Redis Stream against a real redis-server and a real SQLite file: each message
sent once, acknowledged only once its outcome is in the store, taken over from a dead consumer,
and never lost while Redis is down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from clock import ManualClock
from redis.asyncio import Redis
from redis_server import RedisServer
from waiting import eventually

from flows.clock import Clock
from flows.errors import ProviderError
from gateway.app import open_gateway
from gateway.outbox import OutboxMessage, OutboxSettings, SendResult
from gateway.outbox.stream import OutboxStream, StreamDispatcher, StreamOutbox
from gateway.settings import Settings

ALI = "tel:+989121234567"
LEASE = 2.0
"""Seconds a claim holds: past it a worker is presumed dead and its message taken over, so it must
outlast a batch on a loaded 2-core CI machine (0.5 s sent messages twice there, as a takeover should)."""
FAST = OutboxSettings(max_attempts=3, lease=LEASE, base_delay=0.05, max_delay=0.05, poll_interval=0.05)


class FakeSender:
    """Answers each send with the next scripted outcome: an exception, a provider id, or `hang`."""

    channel = "sms"

    def __init__(self, *script: Exception | str) -> None:
        self.script = list(script)
        self.seen: list[OutboxMessage] = []
        self.times: list[float] = []

    async def send(self, message: OutboxMessage) -> SendResult:
        self.seen.append(message)
        self.times.append(time.time())
        outcome = self.script.pop(0) if self.script else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == "hang":
            await asyncio.Event().wait()  # the process dies before the provider answers
        return SendResult(provider="fake", provider_message_id=outcome)


@pytest.fixture
async def clients(redis_server: RedisServer) -> AsyncIterator[list[Redis]]:
    """Redis clients made by the test, closed after it."""
    made: list[Redis] = []
    yield made
    for client in made:
        await client.aclose()


async def worker(connections, clients: list[Redis], server: RedisServer, sender: FakeSender, consumer: str,  # type: ignore[no-untyped-def]
                 clock: Clock = time.monotonic) -> StreamDispatcher:
    """One gateway process's outbox and dispatcher: its own SQLite connection and Redis client."""
    clients.append(Redis.from_url(server.url, socket_timeout=1.0, socket_connect_timeout=0.2))
    outbox = StreamOutbox(await connections(), OutboxStream(clients[-1], "t:"), FAST)
    return StreamDispatcher(outbox, {"sms": sender}, consumer=consumer, block=0.05, reconcile_interval=0.05, clock=clock)


async def state_of(d: StreamDispatcher, message_id: int) -> str:
    row = await d.outbox.get(message_id)
    assert row is not None
    return row["state"]


async def unacknowledged(d: StreamDispatcher) -> int:
    stream = d.outbox.stream
    return int((await stream.client.xpending(stream.key, stream.group))["pending"])


async def test_a_message_is_sent_once_and_acknowledged(connections, clients, redis_server: RedisServer) -> None:
    sender = FakeSender("m-1")
    d = await worker(connections, clients, redis_server, sender, "a")
    await d.outbox.stream.ensure_group()
    message_id = await d.outbox.enqueue("sms", ALI, "Your code is 12345678901")
    assert message_id is not None
    while await d.run_once():
        pass
    row = await d.outbox.get(message_id)
    assert row is not None and (row["state"], row["provider_message_id"]) == ("sent", "m-1")
    assert [m.id for m in sender.seen] == [message_id]
    assert await unacknowledged(d) == 0
    assert await d.outbox.stream.client.xlen(d.outbox.stream.key) == 0


async def test_two_consumers_send_each_message_exactly_once(connections, clients, redis_server: RedisServer) -> None:
    senders = [FakeSender(), FakeSender()]
    a, b = [await worker(connections, clients, redis_server, s, name) for s, name in zip(senders, "ab")]
    await a.reconcile()
    ids = [await (a if i % 2 else b).outbox.enqueue("sms", ALI, f"message {i}") for i in range(40)]
    await a.outbox.stream.publish([i for i in ids if i])  # a second entry for each, as a reconciliation race would make
    a.start(), b.start()
    try:
        await eventually(lambda: all_sent_and_acknowledged(a, ids))  # each entry is acked just after its row is marked
    finally:
        await a.stop(), await b.stop()
    assert sorted(m.id for s in senders for m in s.seen) == sorted(ids)


async def all_sent_and_acknowledged(d: StreamDispatcher, ids: list[int | None]) -> bool:
    sent = all([await state_of(d, i) == "sent" for i in ids if i is not None])
    return sent and await unacknowledged(d) == 0


async def test_a_dead_consumers_message_is_taken_over_after_the_lease(connections, clients, redis_server: RedisServer) -> None:
    dying, survivor = FakeSender("hang"), FakeSender("m-2")
    a = await worker(connections, clients, redis_server, dying, "a")
    b = await worker(connections, clients, redis_server, survivor, "b")
    await a.reconcile()
    message_id = await a.outbox.enqueue("sms", ALI, "Receipt")
    assert message_id is not None
    a.start()
    await eventually(lambda: dying.seen)
    await a.stop()  # killed mid-send: the entry stays unacknowledged in a's name
    row = await a.outbox.get(message_id)
    assert row is not None and row["state"] == "sending"
    b.start()
    try:
        await eventually(lambda: all_sent_and_acknowledged(b, [message_id]))
    finally:
        await b.stop()
    assert survivor.times[0] >= row["next_attempt_at"]  # not before the dead consumer's lease ran out
    assert [m.id for m in survivor.seen] == [message_id]


async def test_a_live_consumers_slow_send_is_not_taken_over(connections, clients, redis_server: RedisServer) -> None:
    """A send waiting its pacing slot past the lease (a provider at 1 a second behind a long pass)
    keeps its message: the consumer renews the lease, so another never sends it a second time."""
    release = asyncio.Event()

    class Paced(FakeSender):
        async def send(self, message: OutboxMessage) -> SendResult:
            self.seen.append(message)
            await release.wait()
            return SendResult(provider="fake", provider_message_id="m-1")

    slow, other = Paced(), FakeSender()
    a = await worker(connections, clients, redis_server, slow, "a")
    b = await worker(connections, clients, redis_server, other, "b")
    await a.reconcile()
    message_id = await a.outbox.enqueue("sms", ALI, "Receipt")
    a.start()
    try:
        await eventually(lambda: slow.seen)
        b.start()
        await asyncio.sleep(2.5 * LEASE)  # two leases and a half: b takes over a lease that ran out
        assert other.seen == []
        release.set()
        await eventually(lambda: all_sent_and_acknowledged(a, [message_id]))
    finally:
        await a.stop()
        await b.stop()
    assert [m.id for m in slow.seen] == [message_id] and other.seen == []


async def is_sent(d: StreamDispatcher, message_id: int) -> bool:
    return await state_of(d, message_id) == "sent"


async def test_a_message_enqueued_while_redis_is_down_is_sent_when_it_returns(connections, clients, redis_server: RedisServer) -> None:
    sender = FakeSender("m-3")
    d = await worker(connections, clients, redis_server, sender, "a")
    redis_server.stop()
    message_id = await d.outbox.enqueue("sms", ALI, "Your request was received")
    assert message_id is not None and await state_of(d, message_id) == "pending"
    d.start()
    try:
        await asyncio.sleep(0.2)  # the dispatcher keeps trying while Redis is down
        redis_server.start()  # empty: no stream, no group, no entry
        await eventually(lambda: all_sent_and_acknowledged(d, [message_id]))
    finally:
        await d.stop()
    assert [m.id for m in sender.seen] == [message_id]


async def test_a_retryable_refusal_is_retried_after_the_backoff(connections, clients, redis_server: RedisServer) -> None:
    sender = FakeSender(ProviderError("aggregator busy (503)", retryable=True), "m-4")
    d = await worker(connections, clients, redis_server, sender, "a")
    await d.reconcile()
    message_id = await d.outbox.enqueue("sms", ALI, "Your payment link")
    assert message_id is not None
    await d.run_once()
    row = await d.outbox.get(message_id)
    assert row is not None and (row["state"], row["attempts"]) == ("pending", 1)
    assert "aggregator busy" in row["last_error"]

    async def another_pass() -> bool:
        await d.run_once()
        return await is_sent(d, message_id)

    await eventually(another_pass)
    assert [m.attempts for m in sender.seen] == [1, 2]
    assert await unacknowledged(d) == 0


async def test_a_final_refusal_fails_the_message_and_acknowledges_it(connections, clients, redis_server: RedisServer) -> None:
    sender = FakeSender(ProviderError("invalid destination number (400)", retryable=False))
    clock = ManualClock()
    d = await worker(connections, clients, redis_server, sender, "a", clock)
    await d.reconcile()
    message_id = await d.outbox.enqueue("sms", ALI, "Hello")
    assert message_id is not None
    await d.run_once()
    clock.advance(d.reconcile_interval)
    await d.run_once()  # a later pass, reconciliation included, does not send it again
    assert await state_of(d, message_id) == "failed"
    assert len(sender.seen) == 1
    assert await unacknowledged(d) == 0
    assert await d.outbox.stream.unqueued([message_id]) == [message_id]


async def test_the_gateway_dispatches_on_the_stream_when_redis_is_configured(settings: Settings, redis_server: RedisServer) -> None:
    gateway = await open_gateway(settings.updated({"redis": {"url": redis_server.url}}))
    try:
        assert isinstance(gateway.dispatcher, StreamDispatcher)
        sender = FakeSender("m-5")
        gateway.dispatcher.senders["sms"] = sender
        gateway.dispatcher.start()
        message_id = await gateway.outbox.enqueue("sms", ALI, "Your code")
        assert message_id is not None
        await eventually(lambda: is_sent(gateway.dispatcher, message_id))  # type: ignore[arg-type]
        assert [m.id for m in sender.seen] == [message_id]
    finally:
        await gateway.dispatcher.stop()
        await gateway.close()


async def test_consumers_of_workers_long_gone_are_dropped_once_nothing_is_pending(connections, clients, redis_server: RedisServer) -> None:
    gone, hung, live = FakeSender(), FakeSender("hang"), FakeSender()
    old = await worker(connections, clients, redis_server, gone, "old")
    stuck = await worker(connections, clients, redis_server, hung, "stuck")
    await old.reconcile()
    await old.outbox.enqueue("sms", ALI, "first")
    await old.run_once()  # sent and acknowledged: "old" has nothing pending
    await stuck.outbox.enqueue("sms", ALI, "second")
    stuck.start()
    await eventually(lambda: hung.seen)
    await stuck.stop()  # died mid-send: "stuck" keeps one pending entry
    current = await worker(connections, clients, redis_server, live, "current")
    current.prune_idle = 0.1
    await asyncio.sleep(0.15)
    await current.reconcile()
    assert await consumer_names(current) == ["stuck"]  # its entry is not lost with it
    await eventually(lambda: taken_over_and_pruned(current))
    # taken over, and sent: at once, or (when the entry's idle time ran out a moment before the dead
    # worker's lease in the store, as on a loaded machine) once reconciliation publishes the row again
    await eventually(lambda: sent_after_a_pass(current, live, ["second"]))


async def consumer_names(d: StreamDispatcher) -> list[str]:
    stream = d.outbox.stream
    return sorted(c["name"].decode() for c in await stream.client.xinfo_consumers(stream.key, stream.group))


async def sent_after_a_pass(d: StreamDispatcher, sender: FakeSender, texts: list[str]) -> bool:
    """One more pass (reconciling when due); whether `sender` has sent exactly `texts`."""
    await d.run_once()
    return [m.text for m in sender.seen] == texts


async def taken_over_and_pruned(d: StreamDispatcher) -> bool:
    """One more pass: the dead consumer's entry is taken over after the lease, then it is dropped."""
    await d.run_once()
    await d.reconcile()
    return await consumer_names(d) == ["current"]


async def test_a_held_message_leaves_after_the_one_it_waits_for(connections, clients, redis_server: RedisServer) -> None:
    sender = FakeSender(ProviderError("HTTP 503", retryable=True))
    clock = ManualClock()   # the receipt's backoff lasts until the test says so, however slow the store
    d = await worker(connections, clients, redis_server, sender, "a", clock=clock)
    await d.outbox.stream.ensure_group()
    receipt = await d.outbox.enqueue("sms", ALI, "Your code is 12345678901", idempotency_key="receipt:12345678901")
    link = await d.outbox.enqueue("sms", ALI, "Pay for 12345678901", after="receipt:12345678901")
    while await d.run_once():
        pass
    assert [m.id for m in sender.seen] == [receipt] and await state_of(d, link) == "pending"
    await d.outbox.db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE id = ?", (receipt,))


    async def link_sent() -> bool:
        clock.advance(FAST.base_delay)
        await d.run_once()   # reconciliation publishes the receipt's retry, then the link once it is free
        return await state_of(d, link) == "sent"

    await eventually(link_sent)
    assert [m.id for m in sender.seen] == [receipt, receipt, link]
