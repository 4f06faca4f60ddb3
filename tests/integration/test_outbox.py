"""The outbox dispatcher against a real SQLite file and a tiny fake sender: retries with backoff,
dead letters, refusals, crashes and restarts."""

from __future__ import annotations

import asyncio

import pytest
from clock import ManualClock
from waiting import eventually

from flows.errors import ProviderError
from gateway.outbox import Dispatcher, Outbox, OutboxMessage, OutboxSettings, SendResult
from gateway.store import Database
from gateway.store.url import database_at

ALI = "tel:+989121234567"


class FakeSender:
    """Answers each send with the next scripted outcome: an exception to raise or a provider id."""

    channel = "sms"

    def __init__(self, *script: Exception | str) -> None:
        self.script = list(script)
        self.seen: list[OutboxMessage] = []

    async def send(self, message: OutboxMessage) -> SendResult:
        self.seen.append(message)
        outcome = self.script.pop(0) if self.script else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        return SendResult(provider="fake", provider_message_id=outcome)


@pytest.fixture
def db(database: Database) -> Database:
    return database


def dispatcher(db: Database, sender: FakeSender, max_attempts: int = 3) -> Dispatcher:
    return Dispatcher(Outbox(db, OutboxSettings(max_attempts=max_attempts, base_delay=2.0, max_delay=600.0)), {"sms": sender})


async def row(db: Database, message_id: int) -> dict:
    found = await db.fetchone("SELECT * FROM outbox WHERE id = ?", (message_id,))
    assert found is not None
    return found


async def make_due(db: Database) -> None:
    """Skip the backoff wait instead of sleeping through it."""
    await db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'")


async def test_a_message_is_sent_and_recorded(db: Database) -> None:
    sender = FakeSender("m-1")
    d = dispatcher(db, sender)
    message_id = await d.outbox.enqueue("sms", ALI, "Tracking code 12345678902", kind="receipt")
    assert await d.run_once() == 1
    sent = await row(db, message_id)  # type: ignore[arg-type]
    assert (sent["state"], sent["attempts"], sent["provider"], sent["provider_message_id"]) == ("sent", 1, "fake", "m-1")
    assert sender.seen[0].text == "Tracking code 12345678902" and sender.seen[0].address == ALI
    assert await d.run_once() == 0


async def test_one_number_s_messages_leave_in_the_order_they_were_queued(db: Database) -> None:
    class SlowFirst(FakeSender):
        """The provider takes longer over a number's first message than over its next ones."""

        async def send(self, message: OutboxMessage) -> SendResult:
            await asyncio.sleep(0.05 if message.text.endswith(" 0") else 0)
            return await super().send(message)

    sender = SlowFirst()
    d = dispatcher(db, sender)
    for n in range(4):
        for address in (ALI, "tel:+989351112233"):
            await d.outbox.enqueue("sms", address, f"reply {n}", kind="reply")
    assert await d.run_once() == 8
    for address in (ALI, "tel:+989351112233"):
        assert [m.text for m in sender.seen if m.address == address] == [f"reply {n}" for n in range(4)]


async def test_retryable_failures_back_off_exponentially_then_succeed(db: Database) -> None:
    busy = ProviderError("503 from the aggregator", retryable=True)
    d = dispatcher(db, FakeSender(busy, busy, "m-3"))
    message_id = await d.outbox.enqueue("sms", ALI, "hello")
    delays = []
    for _ in range(2):
        await d.run_once()
        pending = await row(db, message_id)  # type: ignore[arg-type]
        assert pending["state"] == "pending" and "503" in pending["last_error"]
        delays.append(round(pending["next_attempt_at"] - pending["updated_at"], 1))
        assert await d.run_once() == 0   # not due yet
        await make_due(db)
    assert delays == [2.0, 4.0]
    await d.run_once()
    sent = await row(db, message_id)  # type: ignore[arg-type]
    assert (sent["state"], sent["attempts"], sent["last_error"]) == ("sent", 3, None)


async def test_a_provider_retry_after_is_honoured(db: Database) -> None:
    d = dispatcher(db, FakeSender(ProviderError("429", retryable=True, retry_after=30.0)))
    message_id = await d.outbox.enqueue("sms", ALI, "hello")
    await d.run_once()
    waiting = await row(db, message_id)  # type: ignore[arg-type]
    assert round(waiting["next_attempt_at"] - waiting["updated_at"]) == 30


async def test_a_message_that_keeps_failing_becomes_a_dead_letter(db: Database) -> None:
    busy = ProviderError("timeout", retryable=True)
    sender = FakeSender(busy, busy, busy, "never")
    d = dispatcher(db, sender, max_attempts=3)
    message_id = await d.outbox.enqueue("sms", ALI, "hello")
    for _ in range(4):
        await d.run_once()
        await make_due(db)
    dead = await row(db, message_id)  # type: ignore[arg-type]
    assert (dead["state"], dead["attempts"]) == ("dead", 3) and len(sender.seen) == 3


async def test_a_refusal_is_not_retried(db: Database) -> None:
    sender = FakeSender(ProviderError("400 invalid number", retryable=False))
    d = dispatcher(db, sender)
    message_id = await d.outbox.enqueue("sms", ALI, "hello")
    await d.run_once()
    await make_due(db)
    await d.run_once()
    failed = await row(db, message_id)  # type: ignore[arg-type]
    assert (failed["state"], failed["attempts"], failed["last_error"]) == ("failed", 1, "400 invalid number")


async def test_a_crashing_sender_loses_nothing(db: Database) -> None:
    d = dispatcher(db, FakeSender(RuntimeError("bug in the sender"), "m-2"))
    message_id = await d.outbox.enqueue("sms", ALI, "hello")
    await d.run_once()
    assert (await row(db, message_id))["state"] == "pending"  # type: ignore[arg-type]
    await make_due(db)
    await d.run_once()
    assert (await row(db, message_id))["state"] == "sent"  # type: ignore[arg-type]


async def test_the_same_idempotency_key_is_queued_once(db: Database) -> None:
    outbox = Outbox(db)
    assert await outbox.enqueue("sms", ALI, "receipt", idempotency_key="receipt:12345678902") is not None
    assert await outbox.enqueue("sms", ALI, "receipt", idempotency_key="receipt:12345678902") is None
    assert (await db.fetchone("SELECT count(*) AS n FROM outbox"))["n"] == 1  # type: ignore[index]


async def test_messages_survive_a_restart_and_interrupted_sends_are_retried(store_url: str) -> None:
    first = await database_at(store_url).open()
    clock = ManualClock()
    outbox = Outbox(first, clock=clock)
    waiting = await outbox.enqueue("sms", ALI, "waiting")
    interrupted = await outbox.enqueue("sms", ALI, "interrupted")
    await outbox.claim_due(1)   # `waiting` is now leased: the process dies here
    await first.close()
    clock.advance(outbox.settings.lease + 1)   # ... and its lease runs out
    second = await database_at(store_url).open()
    try:
        sender = FakeSender()
        d = Dispatcher(Outbox(second, clock=clock), {"sms": sender})
        d.start()   # claims the expired lease again, and everything due

        async def all_sent() -> bool:
            return {r["id"]: r["state"] for r in await second.fetchall("SELECT id, state FROM outbox")} == {waiting: "sent", interrupted: "sent"}

        await eventually(all_sent, what="both messages sent after the restart")
        await d.stop()
        assert sorted(m.text for m in sender.seen) == ["interrupted", "waiting"]
    finally:
        await second.close()


async def test_a_live_lease_is_not_taken_by_another_worker(db: Database) -> None:
    first, second = Outbox(db, OutboxSettings(lease=60)), Outbox(db)
    message_id = await first.enqueue("sms", ALI, "once")
    assert [m.id for m in await first.claim_due(10)] == [message_id]
    assert await second.claim_due(10) == []   # another worker starting up leaves it alone
    assert (await row(db, message_id))["state"] == "sending"  # type: ignore[index]


async def test_a_pass_slower_than_its_lease_keeps_its_messages_from_other_workers(db: Database) -> None:
    """A provider paced at 1 a second takes longer than a lease over a pass of many messages: the
    messages still waiting their turn must not be claimed, and sent again, by another worker."""
    release, waiting = asyncio.Event(), []

    class SlowSender(FakeSender):
        async def send(self, message: OutboxMessage) -> SendResult:
            waiting.append(message.id)
            await release.wait()  # waiting for its pacing slot
            return await super().send(message)

    sender, other = SlowSender(), FakeSender()
    settings = OutboxSettings(lease=0.6)
    busy = Dispatcher(Outbox(db, settings), {"sms": sender})
    message_id = await busy.outbox.enqueue("sms", ALI, "once")
    pass_ = asyncio.create_task(busy.run_once())
    await eventually(lambda: waiting == [message_id])
    rival = Dispatcher(Outbox(db, settings), {"sms": other})
    for _ in range(6):  # 1.8 s: three leases' worth
        await asyncio.sleep(0.2)
        assert await rival.run_once() == 0
    release.set()
    assert await pass_ == 1
    assert [m.id for m in sender.seen] == [message_id] and other.seen == []
    assert (await row(db, message_id))["state"] == "sent"


async def test_a_message_waits_for_the_one_it_comes_after_until_that_one_has_left(db: Database) -> None:
    sender = FakeSender(ProviderError("HTTP 503", retryable=True))
    d = dispatcher(db, sender)
    receipt = await d.outbox.enqueue("sms", ALI, "Your code is 12345678901", idempotency_key="receipt:12345678901")
    link = await d.outbox.enqueue("sms", ALI, "Pay for 12345678901", after="receipt:12345678901")
    unrelated = await d.outbox.enqueue("sms", ALI, "Something else", after="receipt:none-such")   # nothing to wait for
    assert await d.run_once() == 2   # the link is held while its receipt waits for a retry
    assert [m.id for m in sender.seen] == [receipt, unrelated]
    assert (await row(db, link))["attempts"] == 0
    await db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE id = ?", (receipt,))
    assert await d.run_once() == 1 and sender.seen[-1].id == receipt
    assert await d.run_once() == 1 and sender.seen[-1].id == link
