"""The payments store on a real SQLite file: conditional transitions give exactly one paid."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.payments.store import NewPayment, PaymentStore
from gateway.store import Database


@pytest.fixture
async def store(database: Database) -> PaymentStore:
    db = database
    now = time.time()
    await db.execute("INSERT INTO categories (id, title, position) VALUES ('c', '{}', 1)")
    await db.execute("INSERT INTO services (id, category, type, title, position, updated_at) VALUES ('121095100', 'c', 'G2C', '{}', 1, ?)", (now,))
    await db.execute("INSERT INTO requests (tracking_code, service_id, channel, address, lang, fee, due_date, created_at, updated_at)"
                     " VALUES ('1', '121095100', 'ussd', 'tel:+1', 'en', 5000, '2030-01-01', ?, ?)", (now, now))
    return PaymentStore(db)


async def test_many_racing_paid_transitions_make_one(store: PaymentStore) -> None:
    payment = await store.create(NewPayment(1, 5000, "sandbox", "h1", "c", time.time() + 60))
    assert payment is not None
    results = await asyncio.gather(*(store.transition(payment.id, "paid", ref_id="r") for _ in range(10)))
    assert sum(r is not None for r in results) == 1
    assert [e.kind for e in await store.events(payment.id)] == ["created", "paid"]
    assert await store.transition(payment.id, "failed") is None  # paid stays paid


async def test_one_open_payment_per_request_and_a_late_paid_one_expires_the_newer(store: PaymentStore) -> None:
    first = await store.create(NewPayment(1, 5000, "sandbox", "h1", "c", time.time() + 60))
    assert first and await store.create(NewPayment(1, 5000, "sandbox", "h2", "c", time.time() + 60)) is None
    assert await store.transition(first.id, "failed", reason="cancelled")
    second = await store.create(NewPayment(1, 5000, "sandbox", "h2", "c", time.time() + 60), renews=first.id)
    assert second and (await store.get(first.id)).renewed_by == second.id  # type: ignore[union-attr]
    late = await store.transition(first.id, "paid", ref_id="r1")  # the bank confirms the first after all
    assert late and late.state == "paid"
    newer = await store.get(second.id)
    assert newer and newer.state == "expired" and "paid by payment" in (newer.reason or "")


async def test_a_link_is_claimed_once_and_not_after_it_expires(store: PaymentStore) -> None:
    payment = await store.create(NewPayment(1, 5000, "sandbox", "h1", "c", time.time() + 60))
    assert payment
    claims = await asyncio.gather(*(store.claim_start(payment.id, time.time()) for _ in range(5)))
    assert claims.count(True) == 1
    assert await store.transition(payment.id, "expired")
    expired = await store.create(NewPayment(1, 5000, "sandbox", "h2", "c", time.time() - 1))
    assert expired and not await store.claim_start(expired.id, time.time())
