"""The issue's journey on the embedded default: a USSD request with a fee yields a payment link in
the outbox; paying in the sandbox marks the request paid; a second callback changes nothing."""

from __future__ import annotations

import dataclasses

from fakes.payer import apply_by_ussd, local, outbox, pay_in_sandbox

from gateway.app import GATEWAY


async def test_ussd_fee_link_paid_in_sandbox_and_a_second_callback_changes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(client)
    [link] = await outbox(client, "payment_link")
    assert link["channel"] == "sms" and link["address"] == "tel:+989121234567"
    assert link["meta"]["url"].startswith("http://127.0.0.1:8080/pay/") and link["meta"]["url"] in link["text"]
    assert code in link["text"] and "300,000 rials" in link["text"]
    assert code not in link["meta"]["url"]  # the link itself says nothing about the request
    gateway = client.app[GATEWAY]
    assert (await gateway.requests.get(code)).payment_state == "pending"

    result = await pay_in_sandbox(client, link["meta"]["url"])
    page = await result.text()
    assert result.status == 200 and "Paid" in page and "Reference" in page
    record = await gateway.requests.get(code)
    assert record.payment_state == "paid"
    [receipt] = await outbox(client, "payment_receipt")
    assert receipt["address"] == "tel:+989121234567" and code in receipt["text"]
    [payment] = await gateway.payments.store.for_request(record.id)
    assert payment.ref_id and payment.ref_id in receipt["text"] and payment.ref_id in page

    events = await gateway.payments.store.events(payment.id)
    again = await client.get(local(str(result.url)))
    assert again.status == 200 and "Paid" in await again.text()
    assert [e.kind for e in await gateway.payments.store.events(payment.id)] == [e.kind for e in events]
    assert len(await outbox(client, "payment_receipt")) == 1
    assert [e.to_state for e in events if e.to_state] == ["pending", "paid"]


async def test_a_bot_citizen_gets_the_link_as_a_url_button_and_free_services_get_none(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    inputs = {"national_code": "0499370899", "birth_date": "1375/06/21"}
    record = await gateway.requests.submit("121095100", inputs, channel="telegram", address="telegram:main:42", phone=None, lang="fa")
    [link] = await outbox(client, "payment_link")
    assert link["channel"] == "telegram" and link["address"] == "telegram:main:42"
    assert link["meta"]["url_label"] == "پرداخت ۳۰۰,۰۰۰ ریال" and link["meta"]["url"] in link["text"]
    await gateway.payments.on_submitted(dataclasses.replace(record, id=record.id, fee=0))  # a free service: no link
    await gateway.payments.on_submitted(record)  # a repeated hook: the request already has an open payment
    assert len(await outbox(client, "payment_link")) == 1
