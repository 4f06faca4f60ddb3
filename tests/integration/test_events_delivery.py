"""Events to an agency's receiver through the outbox (gateway/events): signed, in order per subject,
retried across an outage with a fresh timestamp, a dead one not holding the next, replayed with the
same webhook-id, 410 disabling the subscription, a rotated secret still verifying. The receiver is
tests/fakes/webhook_receiver.py; time is a ManualClock, never a sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from clock import ManualClock
from fakes.webhook_receiver import WebhookReceiver
from redis.asyncio import Redis
from waiting import eventually

from gateway.events.deliveries import Deliveries, DeliveryFilter
from gateway.events.log import TYPES, emit
from gateway.events.sender import WebhookSender
from gateway.events.settings import EventSettings
from gateway.events.subscriptions import Subscriptions
from gateway.outbox import Dispatcher, Outbox, OutboxSettings
from gateway.outbox.stream import OutboxStream, StreamDispatcher, StreamOutbox
from gateway.store import Database

SETTINGS = EventSettings(allow_private_urls=True, retry_delays=[5.0, 300.0])


@pytest.fixture
async def receiver(clock: ManualClock) -> AsyncIterator[WebhookReceiver]:
    found = WebhookReceiver(clock)
    await found.up()
    yield found
    await found.down()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


class Pipeline:
    """A store's outbox with the webhook sender, a subscription of agency `sabt` to every type, and the receiver."""

    def __init__(self, db: Database, clock: ManualClock, receiver: WebhookReceiver, max_attempts: int) -> None:
        self.db, self.clock, self.receiver = db, clock, receiver
        self.sender = WebhookSender(db, SETTINGS, max_attempts=max_attempts, clock=clock)
        self.dispatcher = Dispatcher(Outbox(db, OutboxSettings(max_attempts=max_attempts), clock=clock), {"webhook": self.sender})
        self.subscriptions = Subscriptions(db, SETTINGS, clock=clock)
        self.subscription = 0

    async def subscribe(self) -> None:
        await self.db.execute("INSERT INTO agencies (id, name, complaints, position) VALUES ('sabt', '{}', '{}', 0)")
        made, self.receiver.secret = await self.subscriptions.create("sabt", self.receiver.url, list(TYPES), personal=False, actor="cli:test")
        self.subscription = made.id

    async def emit(self, type_: str, subject: str) -> None:
        async with self.db.transaction() as conn:
            await emit(conn, agency="sabt", type=type_, subject=subject, data={"tracking_code": subject}, at=self.clock(),
                       personal={"phone": "+989121234567"})

    async def drain(self) -> None:
        """Dispatch until nothing is due now."""
        while await self.dispatcher.run_once():
            pass

    async def outcomes(self) -> list[tuple[str, str, int | None]]:
        rows = await Deliveries(self.db).search(DeliveryFilter(limit=100))
        return [(r["event"]["subject"], r["outcome"], r["status"]) for r in reversed(rows)]


@pytest.fixture
async def pipeline(database: Database, clock: ManualClock, receiver: WebhookReceiver) -> AsyncIterator[Pipeline]:
    made = Pipeline(database, clock, receiver, max_attempts=3)
    await made.subscribe()
    yield made
    await made.sender.close()


async def test_events_sent_while_the_receiver_was_down_arrive_signed_fresh_and_in_order(pipeline: Pipeline, receiver: WebhookReceiver) -> None:
    await receiver.down()
    for type_ in ("request.submitted", "payment.paid", "request.transitioned"):
        await pipeline.emit(type_, "11111111111")
    await pipeline.emit("request.submitted", "22222222222")
    await pipeline.drain()  # the first of each subject tried and refused; the later ones wait behind theirs
    assert await pipeline.outcomes() == [("11111111111", "retry", None), ("22222222222", "retry", None)]

    await receiver.up()
    pipeline.clock.advance(400)  # past the receiver's 5-minute tolerance of the events' own time: each attempt is signed anew
    await pipeline.drain()
    assert receiver.refused == [] and receiver.repeats == []
    assert [(e.body["type"], e.body["data"]["tracking_code"]) for e in receiver.events] == [
        ("request.submitted", "11111111111"), ("request.submitted", "22222222222"), ("payment.paid", "11111111111"),
        ("request.transitioned", "11111111111")]
    assert all("personal" not in e.body["data"] for e in receiver.events)  # not opted in: the phone stays home
    assert len({e.webhook_id for e in receiver.events}) == 4
    assert [o for o in await pipeline.outcomes() if o[1] == "delivered"] == [
        ("11111111111", "delivered", 204), ("22222222222", "delivered", 204), ("11111111111", "delivered", 204),
        ("11111111111", "delivered", 204)]


async def test_a_dead_delivery_lets_the_next_go_and_a_replay_brings_it_with_the_same_id(pipeline: Pipeline, receiver: WebhookReceiver) -> None:
    receiver.answer = 503
    await pipeline.emit("request.submitted", "11111111111")
    await pipeline.emit("request.transitioned", "11111111111")
    for _ in range(3):
        await pipeline.drain()
        pipeline.clock.advance(301)
    outcomes = await pipeline.outcomes()  # the third failure kills the first; the second is tried at once, no longer held
    assert [(o[1], o[2]) for o in outcomes] == [("retry", 503), ("retry", 503), ("dead", 503), ("retry", 503)]
    receiver.answer = 204
    await pipeline.drain()
    assert [e.body["type"] for e in receiver.events] == ["request.transitioned"]  # the dead one held it no longer

    [dead] = await Deliveries(pipeline.db).search(DeliveryFilter(outcome="dead"))
    done = await Deliveries(pipeline.db, clock=pipeline.clock).replay("sabt", actor="cli:test", webhook_id=dead["event"]["webhook_id"])
    assert done == {"events": 1, "deliveries": 1}
    await pipeline.drain()
    assert [e.body["type"] for e in receiver.events] == ["request.transitioned", "request.submitted"]
    assert receiver.events[1].webhook_id == dead["event"]["webhook_id"]

    await Deliveries(pipeline.db, clock=pipeline.clock).replay("sabt", actor="cli:test", since=0.0)  # everything again: known ids
    await pipeline.drain()
    assert len(receiver.events) == 2 and len(receiver.repeats) == 2
    [entry] = (await pipeline.db.fetchall("SELECT detail FROM audit WHERE action = 'events.replayed' ORDER BY id"))[:1]
    assert '"deliveries": 1' in entry["detail"]


async def test_410_disables_the_subscription_and_a_stale_or_refused_delivery_is_not_retried(pipeline: Pipeline, receiver: WebhookReceiver) -> None:
    receiver.clock = lambda: pipeline.clock() + 301  # the receiver's clock runs ahead: every timestamp looks stale
    await pipeline.emit("complaint.filed", "33333333333")
    await pipeline.drain()
    assert receiver.refused == [f"stale timestamp {int(pipeline.clock())}"]
    assert await pipeline.outcomes() == [("33333333333", "failed", 400)]  # a 4xx other than 408/429: not retried

    receiver.clock = pipeline.clock
    receiver.answer = 410
    await pipeline.emit("request.submitted", "44444444444")
    await pipeline.emit("request.transitioned", "44444444444")
    await pipeline.drain()
    subscription = await pipeline.subscriptions.get("sabt", pipeline.subscription)
    assert subscription.state == "disabled" and "410" in (subscription.disabled_reason or "")
    assert [o[1] for o in await pipeline.outcomes()][1:] == ["gone", "skipped"]
    await pipeline.emit("request.submitted", "55555555555")  # nothing more is queued for it
    assert (await pipeline.db.fetchone("SELECT count(*) AS n FROM outbox WHERE channel = 'webhook'"))["n"] == 3


async def test_after_a_rotation_the_old_secret_still_verifies_until_the_overlap_ends(pipeline: Pipeline, receiver: WebhookReceiver) -> None:
    _, fresh = await pipeline.subscriptions.rotate("sabt", pipeline.subscription, actor="cli:test")
    await pipeline.emit("request.submitted", "11111111111")
    await pipeline.drain()
    assert len(receiver.events) == 1  # the receiver still holds the old secret
    pipeline.clock.advance(SETTINGS.rotation_overlap + 1)
    await pipeline.emit("request.transitioned", "11111111111")
    await pipeline.drain()
    assert receiver.refused == ["no matching signature"]
    receiver.secret = fresh
    await Deliveries(pipeline.db, clock=pipeline.clock).replay("sabt", actor="cli:test", since=pipeline.clock() - 1)
    await pipeline.drain()
    assert [e.body["type"] for e in receiver.events] == ["request.submitted", "request.transitioned"]


async def test_with_redis_the_stream_dispatcher_finds_events_by_reconciliation_and_keeps_their_order(
        pipeline: Pipeline, receiver: WebhookReceiver, redis_server) -> None:  # type: ignore[no-untyped-def]
    # emit() writes outbox rows on the change's own transaction, before any commit: nothing is published to the
    # stream then; the dispatcher's reconciliation publishes due rows, held ones once the one they wait for has left
    client = Redis.from_url(redis_server.url, socket_timeout=1.0, socket_connect_timeout=0.2)
    try:
        outbox = StreamOutbox(pipeline.db, OutboxStream(client, "t:"), OutboxSettings(max_attempts=3), clock=pipeline.clock)
        dispatcher = StreamDispatcher(outbox, {"webhook": pipeline.sender}, consumer="a", block=0.05, reconcile_interval=0.0)
        for type_ in ("request.submitted", "payment.paid", "request.transitioned"):
            await pipeline.emit(type_, "11111111111")
        await eventually(lambda: _run_until(dispatcher, receiver, 3), what=lambda: f"three events, got {receiver.types()}")
    finally:
        await client.aclose()
    assert [e.body["type"] for e in receiver.events] == ["request.submitted", "payment.paid", "request.transitioned"]


async def _run_until(dispatcher: StreamDispatcher, receiver: WebhookReceiver, count: int) -> bool:
    await dispatcher.run_once()
    return len(receiver.events) == count


async def test_an_event_of_a_change_that_rolled_back_is_neither_logged_nor_sent(pipeline: Pipeline) -> None:
    with pytest.raises(RuntimeError):
        async with pipeline.db.transaction() as conn:
            await emit(conn, agency="sabt", type="request.submitted", subject="11111111111", data={}, at=pipeline.clock())
            raise RuntimeError("the change failed after its event was written")
    assert await pipeline.db.fetchall("SELECT id FROM events") == []
    assert await pipeline.db.fetchall("SELECT id FROM outbox") == []


async def test_without_private_urls_allowed_a_loopback_subscription_is_never_called(pipeline: Pipeline, receiver: WebhookReceiver) -> None:
    strict = WebhookSender(pipeline.db, EventSettings(), max_attempts=3, clock=pipeline.clock)  # made while allowed, sent when not
    pipeline.dispatcher.senders["webhook"] = strict
    try:
        await pipeline.emit("request.submitted", "11111111111")
        await pipeline.drain()
    finally:
        await strict.close()
    assert receiver.events == [] and receiver.refused == []
    [(_, outcome, status)] = await pipeline.outcomes()
    assert (outcome, status) == ("failed", None)
