"""The Zarinpal v4 gateway against a local fake speaking its JSON: happy path, amount tampering,
already-verified answers, and a provider that is down (5xx) or unreachable."""

from __future__ import annotations

import asyncio
import logging
import socket

from fakes.payer import apply_by_ussd, local, outbox, payment_state, post_form, start_payment
from fakes.zarinpal import MERCHANT, with_zarinpal

from gateway.app import GATEWAY, create_app
from gateway.settings import Settings


async def test_paid_at_zarinpal_is_verified_with_our_amount(zclient, fake) -> None:  # type: ignore[no-untyped-def]
    bank, base = fake
    code, _, authority = await start_payment(zclient)
    [(kind, sent)] = bank.calls
    assert kind == "request" and sent["amount"] == 300000 and sent["merchant_id"] == MERCHANT
    assert sent["callback_url"] == "http://127.0.0.1:8080/pay/callback/zarinpal" and code in sent["description"]
    page = await (await zclient.get(local(bank.pay(authority)))).text()
    assert "Paid" in page and str(bank.sessions[authority].ref_id) in page
    assert bank.calls[-1] == ("verify", {"merchant_id": MERCHANT, "amount": 300000, "authority": authority})
    assert await payment_state(zclient, code) == ("paid", "paid")
    [receipt] = await outbox(zclient, "payment_receipt")
    assert str(bank.sessions[authority].ref_id) in receipt["text"]


async def test_a_tampered_amount_fails_with_a_logged_reason(zclient, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    bank, _ = fake
    code, _, authority = await start_payment(zclient)
    callback = local(bank.pay(authority, amount=1000)) + "&Amount=300000"  # paid 1,000; the query claims the rest
    with caplog.at_level(logging.WARNING, logger="gateway.payments"):
        page = await (await zclient.get(callback)).text()
    assert "did not go through" in page
    assert bank.calls[-1][1]["amount"] == 300000
    assert await payment_state(zclient, code) == ("failed", "failed")
    assert any("amount mismatch" in r.getMessage() for r in caplog.records)
    assert await outbox(zclient, "payment_receipt") == []


async def test_cancel_at_zarinpal_fails_and_a_replay_changes_nothing(zclient, fake) -> None:  # type: ignore[no-untyped-def]
    bank, _ = fake
    code, path, authority = await start_payment(zclient)
    callback = local(bank.cancel(authority))
    assert "did not go through" in await (await zclient.get(callback)).text()
    await zclient.get(callback)
    assert await payment_state(zclient, code) == ("failed", "failed")
    assert "Send me a new link" in await (await zclient.get(path)).text()


async def test_racing_callbacks_make_one_paid_transition(zclient, fake) -> None:  # type: ignore[no-untyped-def]
    bank, _ = fake
    code, _, authority = await start_payment(zclient)
    callback = local(bank.pay(authority))
    await asyncio.gather(*(zclient.get(callback) for _ in range(3)))
    gateway = zclient.app[GATEWAY]
    record = await gateway.requests.get(code)
    [payment] = await gateway.payments.store.for_request(record.id)
    assert [e.kind for e in await gateway.payments.store.events(payment.id)].count("paid") == 1
    assert len(await outbox(zclient, "payment_receipt")) == 1 and payment.state == "paid"


async def test_zarinpal_down_at_start_says_so_and_the_link_still_works(zclient, fake) -> None:  # type: ignore[no-untyped-def]
    bank, _ = fake
    bank.fail_with = 502
    await apply_by_ussd(zclient)
    [link] = await outbox(zclient, "payment_link")
    path = local(link["meta"]["url"])
    page = await (await zclient.get(path)).text()
    down = await post_form(zclient, f"{path}/start", page)
    assert down.status == 503 and "The bank is not answering" in await down.text()
    bank.fail_with = None
    assert (await post_form(zclient, f"{path}/start", page)).status == 303


async def test_zarinpal_down_at_verify_keeps_it_pending_until_the_sweeper(zclient, fake) -> None:  # type: ignore[no-untyped-def]
    bank, _ = fake
    code, _, authority = await start_payment(zclient)
    callback = local(bank.pay(authority))
    bank.fail_with = 503
    assert "Checking your payment" in await (await zclient.get(callback)).text()
    assert await payment_state(zclient, code) == ("pending", "pending")
    bank.fail_with = None
    counts = await zclient.app[GATEWAY].payments.sweep()
    assert counts["verified"] == 1
    assert await payment_state(zclient, code) == ("paid", "paid")
    assert len(await outbox(zclient, "payment_receipt")) == 1


async def test_an_unpaid_payment_is_expired_by_the_sweeper(zclient, fake) -> None:  # type: ignore[no-untyped-def]
    code, _, _ = await start_payment(zclient)  # the citizen never comes back from the bank
    await zclient.app[GATEWAY].payments.sweep()
    assert await payment_state(zclient, code) == ("expired", "pending")


async def test_zarinpal_unreachable(aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    client = await aiohttp_client(await create_app(with_zarinpal(settings, closed)))
    await apply_by_ussd(client)
    [link] = await outbox(client, "payment_link")
    path = local(link["meta"]["url"])
    down = await post_form(client, f"{path}/start", await (await client.get(path)).text())
    assert down.status == 503 and "The bank is not answering" in await down.text()
