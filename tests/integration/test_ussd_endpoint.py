"""The USSD webhooks as an aggregator calls them, through aiohttp's test client."""

from __future__ import annotations

import dataclasses
import json
import uuid

import aiohttp
import pytest
from ussd_citizen import ussd_hops

from flows.gsm7 import ussd_budget_used
from gateway.app import create_app
from gateway.settings import WebhookAuthSettings

PHONE = "+989121234567"


class Dial:
    """One Africa's Talking session: every hop resends all inputs joined by `*`."""

    def __init__(self, client, phone: str = PHONE) -> None:  # type: ignore[no-untyped-def]
        self.client, self.phone, self.inputs = client, phone, []
        self.session_id = uuid.uuid4().hex

    async def send(self, text: str | None = None) -> str:
        if text is not None:
            self.inputs.append(text)
        form = {"sessionId": self.session_id, "serviceCode": "*4#", "phoneNumber": self.phone,
                "networkCode": "43211", "text": "*".join(self.inputs)}
        response = await self.client.post("/ussd/africastalking", data=form)
        assert response.status == 200
        assert response.content_type == "text/plain"
        page = await response.text()
        used, limit = ussd_budget_used(page)
        assert used <= limit, f"page over the limit ({used}/{limit}):\n{page}"
        return page


async def test_walk_language_home_card_back_home(client) -> None:  # type: ignore[no-untyped-def]
    dial = Dial(client)
    page = await dial.send()
    assert page.startswith("CON ") and "Language" in page
    page = await dial.send("2")
    assert "Government services" in page and "1. Services" in page
    assert "4. Language" in page and "98" not in page  # English stays GSM-7: the whole menu on one page
    page = await dial.send("1")
    assert "Civil registry" in page
    page = await dial.send("1")
    page = await dial.send("1")
    assert "National smart ID card" in page or "ID card" in page
    page = await dial.send("0")
    assert "Civil registry" in page or "ID" in page
    page = await dial.send("00")
    assert "Government services" in page and "0. Back" not in page


async def test_persian_pages_use_persian_digits_and_fit_80_characters(client) -> None:  # type: ignore[no-untyped-def]
    dial = Dial(client, "+989121111111")
    await dial.send()
    page = await dial.send("1")
    assert "۱. خدمات" in page
    for _ in range(3):
        page = await dial.send("1")
    assert page.startswith("CON ")


async def test_language_is_remembered_for_the_number(client) -> None:  # type: ignore[no-untyped-def]
    first = Dial(client, "+989122222222")
    await first.send()
    await first.send("2")
    again = Dial(client, "+989122222222")
    assert "Government services" in await again.send()


async def test_direct_dial_jumps_to_the_menu_path(client) -> None:  # type: ignore[no-untyped-def]
    known = Dial(client, "+989123333333")
    await known.send()
    await known.send("2")
    form = {"sessionId": "direct-1", "serviceCode": "*4#", "phoneNumber": "+989123333333", "text": "1*1"}
    page = await (await client.post("/ussd/africastalking", data=form)).text()
    assert "ID card" in page  # home -> 1 Services -> 1 Civil registry


async def test_provider_retry_of_the_same_hop_does_not_advance(client) -> None:  # type: ignore[no-untyped-def]
    dial = Dial(client, "+989124444444")
    await dial.send()
    first = await dial.send("2")
    again = await dial.send()  # the aggregator resends the same text
    assert first == again


async def test_free_text_containing_a_star_is_one_answer(client) -> None:  # type: ignore[no-untyped-def]
    dial = Dial(client, "+989125555555")
    await dial.send()
    await dial.send("2")
    await dial.send("2")  # track a request
    page = await dial.send("12*34")
    assert "tracking code" in page.lower() and page.startswith("CON ")


async def test_hubtel_dialect_start_response_and_direct_dial(client) -> None:  # type: ignore[no-untyped-def]
    start = {"Type": "Initiation", "Mobile": "989126666666", "SessionId": "h1", "ServiceCode": "*4#", "Message": "*4#", "Operator": "mci"}
    body = json.loads(await (await client.post("/ussd/hubtel", json=start)).text())
    assert body["Type"] == "Response" and "Language" in body["Message"]
    body = json.loads(await (await client.post("/ussd/hubtel", json={**start, "Type": "Response", "Message": "2"})).text())
    assert "Government services" in body["Message"]
    direct = {**start, "SessionId": "h2", "Message": "*4*3#"}
    body = json.loads(await (await client.post("/ussd/hubtel", json=direct)).text())
    assert "Help" in body["Message"]


@pytest.mark.parametrize("closing", ["Timeout", "Release"])
async def test_a_hubtel_timeout_or_release_ends_the_hop_and_leaves_the_session_resumable(client, closing: str) -> None:  # type: ignore[no-untyped-def]
    start = {"Type": "Initiation", "Mobile": "989126666667", "SessionId": "t1", "ServiceCode": "*4#", "Message": "*4#", "Operator": "mci"}

    async def post(fields: dict) -> dict:  # type: ignore[type-arg]
        return json.loads(await (await client.post("/ussd/hubtel", json=fields)).text())

    await post(start)
    assert "Government services" in (await post({**start, "Type": "Response", "Message": "2"}))["Message"]
    services = (await post({**start, "Type": "Response", "Message": "1"}))["Message"]
    for _ in range(3):  # never an answer: no try is used up, nothing is shown to a closed session
        assert await post({**start, "Type": closing, "Message": ""}) == {
            "SessionId": "t1", "Type": "Release", "Message": "", "Label": "Pishkhan", "DataType": "display", "FieldType": "text"}
    again = await post({**start, "SessionId": "t2"})
    assert again["Type"] == "Response" and "Continue where you left off?" in again["Message"]
    assert (await post({**start, "SessionId": "t2", "Type": "Response", "Message": "1"}))["Message"] == services


async def test_bad_requests_get_4xx_never_500(client) -> None:  # type: ignore[no-untyped-def]
    cases = [
        dict(data={"serviceCode": "*4#"}),
        dict(data={"sessionId": "x", "phoneNumber": "not a phone"}),
        dict(data=b"\xff\xfe\x00garbage\x00" * 10, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        dict(data=b"{not json", headers={"Content-Type": "application/json"}),
        dict(data=b"sessionId=x&phoneNumber=%2B989121234567", headers={"Content-Type": "application/x-www-form-urlencoded; charset=no-such"}),
        dict(data={"sessionId": "x" * 600, "phoneNumber": PHONE}),
    ]
    for case in cases:
        response = await client.post("/ussd/africastalking", **case)
        assert 400 <= response.status < 500, (case, response.status)
        assert "Traceback" not in await response.text()
    huge = await client.post("/ussd/africastalking", data={"sessionId": "x", "phoneNumber": PHONE, "text": "1" * 200_000})
    assert huge.status == 413
    assert (await client.post("/ussd/hubtel", json=[1, 2])).status == 400
    assert (await client.post("/ussd/nosuch", data={})).status == 404


async def test_every_way_of_sending_the_form_reads_the_same(client) -> None:  # type: ignore[no-untyped-def]
    """The form is read by hand (gateway.routes.ussd._form), not by aiohttp's post(): the same pages
    for an encoded `+` and `*`, a `+` for a space, a repeated field (the last wins), a field without
    `=`, a charset named, trailing whitespace, and a multipart form (still aiohttp's reading)."""
    start = await (await client.post("/ussd/africastalking", data={"sessionId": "f1", "phoneNumber": PHONE, "text": ""})).text()
    assert start.startswith("CON ")
    bodies = [
        b"sessionId=f2&phoneNumber=%2B989121234567&text=",
        b"sessionId=f3&phoneNumber=989121234567&text&networkCode=43211\r\n",
        b"sessionId=wrong&sessionId=f4&phoneNumber=%2B989121234567&text=&serviceCode=%2A4%23",
    ]
    for index, body in enumerate(bodies):
        headers = {"Content-Type": "application/x-www-form-urlencoded" + ("; charset=utf-8" if index else "")}
        assert await (await client.post("/ussd/africastalking", data=body, headers=headers)).text() == start, body
    multipart = aiohttp.FormData({"sessionId": "f5", "phoneNumber": PHONE, "text": ""})
    multipart.add_field("note", b"a file", filename="note.txt")  # a file part is not a field
    assert await (await client.post("/ussd/africastalking", data=multipart)).text() == start
    typed = await client.post("/ussd/africastalking", data=b"sessionId=f6+x&phoneNumber=%2B989121234567&text=",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert await typed.text() == start  # `f6 x`: a session of its own, started afresh
    plain = await client.post("/ussd/africastalking", data=b"sessionId=f7&phoneNumber=%2B989121234567", headers={"Content-Type": "text/plain"})
    assert plain.status == 400 and "missing sessionId, phoneNumber" in await plain.text()
    empty = await client.post("/ussd/africastalking", data=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert empty.status == 400 and "missing sessionId, phoneNumber" in await empty.text()
    many = await client.post("/ussd/africastalking", data=b"sessionId=f8&phoneNumber=%2B989121234567" + b"&a=1" * 1000,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert many.status == 413 and "Maximum number of form fields 1000 exceeded." in await many.text()


async def test_shared_secret_is_required_when_configured(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    ussd = dataclasses.replace(settings.ussd, auth=WebhookAuthSettings(secret="s3cret"))
    client = await aiohttp_client(await create_app(dataclasses.replace(settings, ussd=ussd)))
    form = {"sessionId": "a", "phoneNumber": PHONE, "text": ""}
    assert (await client.post("/ussd/africastalking", data=form)).status == 401
    assert (await client.post("/ussd/africastalking", data=form, headers={"X-Pishkhan-Secret": "wrong"})).status == 401
    assert (await client.post("/ussd/africastalking", data=form, headers={"X-Pishkhan-Secret": "s3cret"})).status == 200
    assert (await client.post("/ussd/africastalking?secret=s3cret", data=form)).status == 200


async def test_ip_allowlist_refuses_other_addresses(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    ussd = dataclasses.replace(settings.ussd, auth=WebhookAuthSettings(allow_ips=["10.1.2.0/24"]))
    client = await aiohttp_client(await create_app(dataclasses.replace(settings, ussd=ussd)))
    response = await client.post("/ussd/africastalking", data={"sessionId": "a", "phoneNumber": PHONE})
    assert response.status == 401


async def test_operator_page_cap_is_respected(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    ussd = dataclasses.replace(settings.ussd, operator_limits={"43299": {"ucs2_limit": 60}})
    client = await aiohttp_client(await create_app(dataclasses.replace(settings, ussd=ussd)))
    form = {"sessionId": "cap", "phoneNumber": PHONE, "networkCode": "43299", "text": ""}
    for text in ("", "1", "1*1", "1*1*1", "1*1*1*1"):
        page = await (await client.post("/ussd/africastalking", data={**form, "text": text})).text()
        assert ussd_budget_used(page, 182, 60)[0] <= 60, page


async def test_health_and_readiness(client) -> None:  # type: ignore[no-untyped-def]
    assert (await (await client.get("/healthz")).json())["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"]["state"] is True


async def test_after_a_restart_a_retried_hop_of_a_lost_session_comes_back_in_the_citizens_language(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    before = await aiohttp_client(await create_app(settings))
    pages = await ussd_hops(before, "+989127777777", ["", "2", "2*1"])
    assert "Services:" in pages[-1]
    await before.close()   # the in-process sessions and remembered languages are gone with the process
    after = await aiohttp_client(await create_app(settings))
    [again, deeper] = await ussd_hops(after, "+989127777777", ["2*1", "2*1*1"])
    assert again == pages[-1]                    # the same English screen, not a Persian one
    assert deeper == (await ussd_hops(after, "+989127777779", ["", "2", "2*1", "2*1*1"]))[-1]  # and it goes on as it would have


async def test_a_dial_path_that_a_screen_refuses_stops_there_without_using_up_tries(client) -> None:  # type: ignore[no-untyped-def]
    [page] = await ussd_hops(client, "+989127777778", ["9*9*9*9"])   # a direct dial to options that do not exist
    assert page.startswith("CON ") and "پیشخوان دولت" in page           # home, waiting for a choice, not "too many tries"
