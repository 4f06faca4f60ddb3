"""The pay pages with the built-in sandbox bank: cancel, a new link, expiry, CSRF, forged and
concurrent callbacks. What the citizen sees, and what the request and the outbox then say."""

from __future__ import annotations

import asyncio

from clock import ManualClock
from fakes.payer import apply_by_ussd, csrf_of, form_actions, local, outbox, pay_in_sandbox, post_form

from gateway.app import GATEWAY, create_app


async def _link(client) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(client)
    [link] = await outbox(client, "payment_link")
    return code, link["meta"]["url"]


async def _payment(client, code: str):  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    record = await gateway.requests.get(code)
    return record, await gateway.payments.store.for_request(record.id)


async def test_cancel_at_the_bank_then_a_new_link_is_sent_and_works(client) -> None:  # type: ignore[no-untyped-def]
    code, url = await _link(client)
    result = await pay_in_sandbox(client, url, action="cancel")
    assert "did not go through" in await result.text()
    record, [payment] = await _payment(client, code)
    assert payment.state == "failed" and record.payment_state == "failed"

    page = await (await client.get(local(url))).text()
    assert "Send me a new link" in page and form_actions(page) == [f"{local(url)}/renew"]
    renewed = await post_form(client, f"{local(url)}/renew", page)
    assert renewed.status == 303
    assert "A new link has been sent" in await (await client.get(local(url))).text()
    again = await post_form(client, f"{local(url)}/renew", page)  # one new link per old link
    assert again.status == 303
    first, second = await outbox(client, "payment_link")
    assert second["meta"]["url"] != first["meta"]["url"] and second["address"] == "tel:+989121234567"
    record, payments = await _payment(client, code)
    assert [p.state for p in payments] == ["failed", "pending"] and record.payment_state == "pending"

    assert "Paid" in await (await pay_in_sandbox(client, second["meta"]["url"])).text()
    record, payments = await _payment(client, code)
    assert [p.state for p in payments] == ["failed", "paid"] and record.payment_state == "paid"
    assert "Paid" in await (await client.get(local(url))).text()  # the old link now shows the request is paid


async def test_an_expired_link_offers_a_new_one_and_cannot_start_a_payment(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    client = await aiohttp_client(await create_app(settings, clock=clock))
    code, url = await _link(client)
    gateway = client.app[GATEWAY]
    page = await (await client.get(local(url))).text()
    clock.advance(gateway.settings.payments.link_ttl)  # a day passes
    started = await post_form(client, f"{local(url)}/start", page)
    assert started.status == 303 and started.headers["Location"] == local(url)
    assert await gateway.db.fetchall("SELECT * FROM payment_sandbox") == []
    page = await (await client.get(local(url))).text()
    assert "This link has expired" in page and "Send me a new link" in page

    assert (await gateway.payments.sweep())["expired"] == 1
    record, [payment] = await _payment(client, code)
    assert payment.state == "expired" and record.payment_state == "pending"  # the fee is still owed
    assert (await post_form(client, f"{local(url)}/renew", page)).status == 303
    assert len(await outbox(client, "payment_link")) == 2


async def test_posts_without_the_form_token_or_its_cookie_change_nothing(client, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    code, url = await _link(client)
    page = await (await client.get(local(url))).text()
    refused = await client.post(f"{local(url)}/start", data={"csrf": "forged"}, allow_redirects=False)
    assert refused.status == 403 and "out of date" in await refused.text()
    stranger = await aiohttp_client(client.server)  # another browser: the form token but not the cookie
    no_cookie = await stranger.post(f"{local(url)}/start", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert no_cookie.status == 403
    unknown = await client.post("/pay/" + "A" * 32 + "/start", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert unknown.status == 404
    _, [payment] = await _payment(client, code)
    assert payment.started_at is None and payment.authority is None
    kinds = [e.kind for e in await client.app[GATEWAY].payments.store.events(payment.id)]
    assert kinds == ["created", "link_sent"]


async def test_the_page_is_safe_and_rtl_in_persian(client) -> None:  # type: ignore[no-untyped-def]
    _, url = await _link(client)
    response = await client.get(local(url) + "?lang=fa")
    page = await response.text()
    assert '<html lang="fa" dir="rtl">' in page and "۳۰۰,۰۰۰ ریال" in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={local(url)}" in cookie
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # no third-party assets
    assert (await client.get("/pay/not-a-token")).status == 404


async def test_a_forged_ok_callback_is_verified_and_fails(client) -> None:  # type: ignore[no-untyped-def]
    code, url = await _link(client)
    page = await (await client.get(local(url))).text()
    started = await post_form(client, f"{local(url)}/start", page)
    authority = started.headers["Location"].rsplit("/", 1)[1]
    forged = await client.get(f"/pay/callback/sandbox?Authority={authority}&Status=OK&Amount=1000&RefID=1")
    assert "did not go through" in await forged.text()
    record, [payment] = await _payment(client, code)
    assert payment.state == "failed" and "not paid" in (payment.reason or "") and record.payment_state == "failed"
    assert await outbox(client, "payment_receipt") == []
    assert (await client.get("/pay/callback/sandbox?Authority=S999&Status=OK")).status == 404
    assert (await client.get("/pay/callback/zarinpal?Authority=" + authority)).status == 404


async def test_two_callbacks_at_once_make_one_paid_transition(client) -> None:  # type: ignore[no-untyped-def]
    code, url = await _link(client)
    page = await (await client.get(local(url))).text()
    started = await post_form(client, f"{local(url)}/start", page)
    bank = local(started.headers["Location"])
    decided = await post_form(client, bank, await (await client.get(bank)).text(), action="pay")
    callback = local(decided.headers["Location"])
    gateway = client.app[GATEWAY]
    _, [payment] = await _payment(client, code)
    pages = await asyncio.gather(*(client.get(callback) for _ in range(4)), gateway.payments.settle(payment, source="sweeper"))
    assert all(["Paid" in await r.text() for r in pages[:4]])
    events = await gateway.payments.store.events(payment.id)
    assert [e.kind for e in events].count("paid") == 1
    assert len(await outbox(client, "payment_receipt")) == 1


async def test_pressing_pay_twice_goes_back_to_the_same_bank_session(client) -> None:  # type: ignore[no-untyped-def]
    _, url = await _link(client)
    page = await (await client.get(local(url))).text()
    first = await post_form(client, f"{local(url)}/start", page)
    second = await post_form(client, f"{local(url)}/start", page)
    assert first.headers["Location"] == second.headers["Location"]
    assert "Checking your payment" in await (await client.get(local(url))).text()
    assert len(await client.app[GATEWAY].db.fetchall("SELECT * FROM payment_sandbox")) == 1
