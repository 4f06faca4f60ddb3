"""The issue's done-when for events: a local receiver gets every event of a USSD journey (submit, pay,
approve) signed and in order, including those sent while it was down; and what agencies are told
carries nothing personal unless a subscription opted in. The gateway runs on a ManualClock: the
retry after the outage is made due by moving it, not by waiting."""

from __future__ import annotations

from typing import Any

from api_tokens import role_headers
from clock import ManualClock
from fakes.payer import apply_by_ussd, outbox, pay_in_sandbox
from fakes.webhook_receiver import WebhookReceiver
from waiting import eventually

from gateway.app import GATEWAY, create_app
from gateway.events.log import TYPES
from gateway.settings import Settings

FIRST_ID_CARD = "121095100"


async def _gateway(aiohttp_client: Any, settings: Settings, clock: ManualClock) -> tuple[Any, dict[str, dict[str, str]], str]:
    client = await aiohttp_client(await create_app(settings.updated({"events": {"allow_private_urls": True}}), clock=clock))
    gateway = client.app[GATEWAY]
    service = gateway.content.catalogue.get(FIRST_ID_CARD)
    assert service is not None and service.agency
    return client, await role_headers(gateway.db), service.agency


async def _subscribe(client: Any, headers: dict[str, str], agency: str, receiver: WebhookReceiver, **extra: Any) -> dict[str, Any]:
    made = await client.post(f"/api/v1/agencies/{agency}/subscriptions", headers=headers,
                             json={"url": receiver.url, "types": list(TYPES), **extra})
    body = await made.json()
    assert made.status == 201, body
    receiver.secret = body.pop("secret")
    return body


async def _move(client: Any, headers: dict[str, str], code: str, *statuses: str) -> None:
    for to in statuses:
        moved = await client.post(f"/api/v1/requests/{code}/transition", headers=headers, json={"to": to})
        assert moved.status == 200, await moved.text()


async def test_a_receiver_gets_every_event_of_a_ussd_journey_signed_and_in_order_across_an_outage(
        aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    client, tokens, agency = await _gateway(aiohttp_client, settings, clock)
    receiver = WebhookReceiver(clock)
    await receiver.up()
    try:
        subscription = await _subscribe(client, tokens["admin"], agency, receiver)
        code = await apply_by_ussd(client)
        await eventually(lambda: receiver.types() == [("request.submitted", code)], what=lambda: f"the submission, got {receiver.types()}")

        await receiver.down()  # the agency's system goes down: payment and approval are told while it is
        [link] = await outbox(client, "payment_link")
        assert (await pay_in_sandbox(client, link["meta"]["url"])).status == 200
        clock.advance(2)  # the payment store dates its changes by the wall clock, a moment past this one
        await _move(client, tokens["operator"], code, "in_review", "approved")
        log_url = f"/api/v1/events/deliveries?agency={agency}&outcome=retry"
        await eventually(lambda: _items(client, log_url, tokens["viewer"]), what="an attempt refused while down")
        await receiver.up()
        clock.advance(400)  # the retry is due (and past the receiver's 5-minute tolerance of the events' time)
        await eventually(lambda: len(receiver.events) == 4, timeout=15, what=lambda: f"every event, got {receiver.types()}")
        paid_id = receiver.events[1].webhook_id
        replay = {"agency": agency, "webhook_id": paid_id}
        assert (await client.post("/api/v1/events/replay", headers=tokens["operator"], json=replay)).status == 403  # the national desk's
        replayed = await client.post("/api/v1/events/replay", headers=tokens["admin"], json=replay)
        assert replayed.status == 202 and await replayed.json() == {"events": 1, "deliveries": 1}
        await eventually(lambda: receiver.repeats == [paid_id], what="the replay, dropped by the receiver as a repeat")
    finally:
        await receiver.down()
    assert receiver.types() == [("request.submitted", code), ("payment.paid", code), ("request.transitioned", code),
                                ("request.transitioned", code)]
    assert [e.body["data"]["to"] for e in receiver.events[2:]] == ["in_review", "approved"]
    assert receiver.refused == [] and len({e.webhook_id for e in receiver.events}) == 4
    paid = receiver.events[1].body["data"]
    assert paid["amount"] == 300000 and paid["ref_id"] and paid["service_id"] == FIRST_ID_CARD
    submitted = receiver.events[0].body
    assert submitted["data"]["due_date"] and submitted["data"]["payment_state"] == "pending" and "personal" not in submitted["data"]
    assert "989121234567" not in str([e.body for e in receiver.events]) and "0499370899" not in str([e.body for e in receiver.events])

    [refused] = await _items(client, f"/api/v1/events/deliveries?agency={agency}&outcome=retry", tokens["viewer"])
    assert refused["event"]["type"] == "payment.paid" and refused["status"] is None and refused["error"]
    assert refused["subscription"] == subscription["id"]
    delivered = await _items(client, f"/api/v1/events/deliveries?agency={agency}&outcome=delivered", tokens["viewer"])
    assert [d["event"]["type"] for d in reversed(delivered)] == [t for t, _ in receiver.types()] + ["payment.paid"]  # and its replay
    assert {d["status"] for d in delivered} == {204}


async def _items(client: Any, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = await client.get(url, headers=headers)
    assert answer.status == 200, await answer.text()
    return (await answer.json())["items"]


async def test_personal_data_only_to_a_subscription_that_opted_in_and_every_kind_of_event_is_told(
        aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    client, tokens, agency = await _gateway(aiohttp_client, settings, clock)
    plain, personal = WebhookReceiver(clock), WebhookReceiver(clock)
    for receiver in (plain, personal):
        await receiver.up()
    try:
        await _subscribe(client, tokens["admin"], agency, plain)
        await _subscribe(client, tokens["admin"], agency, personal, personal=True)
        gateway = client.app[GATEWAY]
        code = await apply_by_ussd(client)
        [link] = await outbox(client, "payment_link")
        await pay_in_sandbox(client, link["meta"]["url"], action="cancel")
        clock.advance(2)  # the payment store dates its changes by the wall clock, a moment past this one
        await gateway.complaints.file("complaint", "Nobody answers 09121234567", request_code=code, channel="sms",
                                      address="tel:+989121234567", phone="+989121234567", lang="en")
        bulk = await client.post("/api/v1/requests/transitions", headers=tokens["operator"], json={"tracking_codes": [code], "to": "in_review"})
        assert bulk.status == 200 and (await bulk.json())["moved"] == 1  # a bulk transition tells the agency like a single one
        await _move(client, tokens["operator"], code, "approved", "delivered")
        [survey] = await gateway.feedback.surveys.remembered("tel:+989121234567")
        await gateway.feedback.surveys.rate(survey, 4, "fine")
        expected = ["request.submitted", "payment.failed", "complaint.filed", "request.transitioned", "request.transitioned",
                    "request.transitioned", "feedback.received"]
        for receiver in (plain, personal):  # in order per subject: the request's, and the complaint's on its own
            await eventually(lambda r=receiver: sorted(e.body["type"] for e in r.events) == sorted(expected), timeout=15,  # type: ignore[misc]
                             what=lambda r=receiver: f"every kind of event, got {r.types()}")  # type: ignore[misc]
            assert [e.body["type"] for e in receiver.events if e.body["type"] != "complaint.filed"] == [
                t for t in expected if t != "complaint.filed"]
    finally:
        for receiver in (plain, personal):
            await receiver.down()
    assert all("personal" not in e.body["data"] for e in plain.events)
    told = {e.body["type"]: e.body["data"] for e in personal.events}
    assert told["request.submitted"]["personal"]["phone"] == "+989121234567"
    assert told["request.submitted"]["personal"]["inputs"]["national_code"] == "0499370899"
    assert told["complaint.filed"]["personal"]["text"] == "Nobody answers 09121234567" and told["complaint.filed"]["tracking_code"] == code
    assert told["feedback.received"]["rating"] == 4 and told["feedback.received"]["personal"]["comment"] == "fine"
    assert told["payment.failed"]["state"] == "failed"
