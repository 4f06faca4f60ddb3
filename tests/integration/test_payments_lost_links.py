"""A payment link lost in a crash (the payment committed, its message never queued) is sent again
by the sweeper: once, with a link that works, and never while the submit may still be queuing it."""

from __future__ import annotations

import asyncio

from fakes.payer import apply_by_ussd, local, outbox

from gateway.app import GATEWAY
from gateway.payments.links import new_token, token_hash


async def lose_the_link(client, *, age: float) -> str:  # type: ignore[no-untyped-def]
    """Apply for a service with a fee, then undo the link message as a crash before it would have;
    the payment is `age` seconds old. The lost link's URL."""
    await apply_by_ussd(client)
    [link] = await outbox(client, "payment_link")
    db = client.app[GATEWAY].db
    await db.execute("DELETE FROM outbox WHERE kind = 'payment_link'")
    await db.execute("UPDATE payments SET link_sent_at = NULL, created_at = created_at - ?", (age,))
    return str(link["meta"]["url"])


async def test_a_lost_link_is_sent_again_once_and_the_new_one_works(client) -> None:  # type: ignore[no-untyped-def]
    lost = await lose_the_link(client, age=120)
    payments = client.app[GATEWAY].payments
    await asyncio.gather(payments.sweep(), payments.sweep())  # two sweepers at once, as two workers
    [link] = await outbox(client, "payment_link")
    assert link["address"] == "tel:+989121234567" and link["meta"]["url"] != lost
    page = await client.get(local(link["meta"]["url"]))
    assert page.status == 200 and 'name="csrf"' in await page.text()
    assert (await client.get(local(lost))).status == 404  # the lost token never reached anyone
    assert (await payments.sweep())["links"] == 0


async def test_a_young_payment_is_left_to_the_submit_that_is_queuing_its_link(client) -> None:  # type: ignore[no-untyped-def]
    await lose_the_link(client, age=0)
    assert (await client.app[GATEWAY].payments.sweep())["links"] == 0
    assert await outbox(client, "payment_link") == []


async def test_of_two_sweepers_that_read_the_same_payment_only_one_rotates_its_token(client) -> None:  # type: ignore[no-untyped-def]
    await lose_the_link(client, age=120)
    store = client.app[GATEWAY].payments.store
    [seen] = await store.unsent_links(created_before=float("inf"), limit=10)
    assert await store.rotate_link(seen, token_hash(new_token())) is True
    assert await store.rotate_link(seen, token_hash(new_token())) is False  # the slower one sends nothing
