"""Complaints and suggestions end to end: a citizen complains over USSD about a request by its tracking
code and gets a complaint code; operators find it in the API and answer it; the answer reaches the
citizen by SMS at the fake Kannel. A suggestion by SMS from a service's card, a complaint from a bot,
codes that name nothing, and a complaint code typed where a request's is asked."""

from __future__ import annotations

import re
from typing import Any

from api_tokens import role_headers
from fakes.bot_api import Citizen, FakeBotApi, post_update
from fakes.sms_gateway import ALI, SmsRig
from ussd_citizen import apply_by_ussd, ussd, ussd_hops
from waiting import eventually

from flows.gsm7 import sms_encoding
from flows.masking import masked
from flows.tracking import new_tracking_code
from gateway.app import GATEWAY
from gateway.audit import AuditLog
from gateway.complaints.store import NewComplaint
from gateway.complaints.texts import outcome_sms
from gateway.requests.store import NewRequest

ENGLISH, TRACK, HELP, COMPLAIN = "2", "2", "3", "4"
"""Language menu: English; home (the language is remembered from the citizen's first dial): Track a request, Help; help: Complain about a request."""
FIRST_ISSUE = "121095100"
_CODE = re.compile(r"Tracking code:\s*([0-9]{10,12})")


def complaint_code(page: str) -> str:
    found = _CODE.search(page)
    assert found, page
    return found.group(1)


async def test_a_ussd_complaint_about_a_request_is_answered_through_the_api_and_the_citizen_reads_the_answer_by_sms(rig: SmsRig) -> None:
    request_code = await apply_by_ussd(rig.client, phone=ALI)
    page = await ussd(rig.client, ALI, [HELP, COMPLAIN, request_code, "The office asked me to come twice for the same paper"])
    assert page.startswith("END Complaint received.") and "Answer due:" in page
    code = complaint_code(page)
    assert code != request_code
    receipt = await eventually(lambda: [c for c in rig.kannel.calls if f"Tracking code {code}" in c["text"]], what="the complaint's receipt by SMS")
    assert receipt[0]["to"] == ALI and f"request {request_code}" in receipt[0]["text"]

    headers = await role_headers(rig.gateway.db)
    listing = await (await rig.client.get("/api/v1/complaints?status=filed", headers=headers["viewer"])).json()
    assert listing["total"] == 1
    [item] = listing["items"]
    assert item["code"] == code and item["request_code"] == request_code and item["kind"] == "complaint" and item["channel"] == "ussd"
    assert item["phone"] == "+98912****567" and "twice" in item["text"] and item["late"] is False

    url = f"/api/v1/complaints/{code}/transition"
    refused = await rig.client.post(url, json={"to": "answered"}, headers=headers["operator"])
    assert refused.status == 422 and (await refused.json())["error"]["field"] == "answer"
    assert (await rig.client.post(url, json={"to": "in_review"}, headers=headers["viewer"])).status == 403
    assert (await rig.client.post(url, json={"to": "in_review"}, headers=headers["operator"])).status == 200
    answer = "We are sorry: the paper is now checked at the first visit."
    answered = await rig.client.post(url, json={"to": "answered", "answer": answer}, headers=headers["operator"])
    assert answered.status == 200 and (await answered.json())["status"] == "answered"
    again = await rig.client.post(url, json={"to": "in_review"}, headers=headers["operator"])
    assert again.status == 409 and "answered" in (await again.json())["error"]["message"]

    sms = await eventually(lambda: [c["text"] for c in rig.kannel.calls if "Answer:" in c["text"]], what="the answer by SMS")
    assert sms == [f"Pishkhan: complaint {code} answered. Answer: {answer}"]
    shown = await (await rig.client.get(f"/api/v1/complaints/{code}", headers=headers["operator"])).json()
    assert shown["phone"] == ALI and [e["to"] for e in shown["events"]] == ["filed", "in_review", "answered"]
    entries, _ = await AuditLog(rig.gateway.db).list(limit=10)
    assert [(e.action, e.subject, e.detail["to"]) for e in entries if e.action.startswith("complaint.")] == [
        ("complaint.transitioned", code, "answered"), ("complaint.transitioned", code, "in_review")]

    # The complaint's code where a request's is asked: its status, and to the complainant what it is about and the answer.
    *_, status, more = await ussd_hops(rig.client, ALI, ["", TRACK, f"{TRACK}*{code}", f"{TRACK}*{code}*98"])
    assert status.startswith("CON Complaint: answered\nFirst national ID card (request ") and "98. More" in status
    assert f"Answer: {answer}" in more
    by_sms = await rig.reply_to(f"STATUS {code}")   # and by SMS, where the answer says what the code is
    assert by_sms.startswith(f"Complaint: answered\nFirst national ID card (request {request_code})") and by_sms.endswith(f"Answer: {answer}")


async def test_a_suggestion_by_sms_from_a_services_card(rig: SmsRig) -> None:
    for step in ("hi", "4", "2", "1", "1", "1", "1"):   # home, language, English, services, civil registry, smart ID card, first issue
        await rig.reply_to(step)
    assert "First national ID card\nID: 121095100" in await rig.reply_to("2")   # the card, paged
    await rig.reply_to("98")
    card = await rig.reply_to("98")
    assert "Complaints: Call 111" in card and "1. Complain about it\n2. Suggest an improvement" in card
    assert "at most 500 characters" in await rig.reply_to("2")
    filed = await rig.reply_to("Let me book the photo appointment by SMS")
    assert filed.startswith("Received. Tracking code:")
    code = complaint_code(filed)
    headers = await role_headers(rig.gateway.db)
    listing = await (await rig.client.get("/api/v1/complaints?kind=suggestion&channel=sms", headers=headers["viewer"])).json()
    assert [(i["code"], i["service_id"], i["request_code"]) for i in listing["items"]] == [(code, FIRST_ISSUE, None)]
    assert await rig.outbox(kind="receipt") == []   # the reply said it; no second message


async def tap(client: Any, bot_api: FakeBotApi, citizen: Citizen, label: str) -> str:
    """Press the button labelled `label` on the citizen's current menu; what the chat shows then (edited in place or sent anew)."""
    menu = bot_api.menu(citizen.user_id)
    edits = menu.edits
    assert await post_update(client, citizen.press(menu, menu.button(label)["callback_data"])) == 200
    return menu.text if menu.edits > edits else bot_api.last(citizen.user_id).text


async def test_a_complaint_from_a_bot_and_its_answer_in_the_chat(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    citizen = Citizen(user_id=5151, language_code="en")

    async def say(text: str) -> str:
        assert await post_update(tg, citizen.text(text)) == 200
        return bot_api.last(citizen.user_id).text

    await say("/start")
    for label in ("English", "Services", "Civil registry", "National smart ID card", "First issue"):
        await tap(tg, bot_api, citizen, label)
    assert "Complaints: Call 111" in await tap(tg, bot_api, citizen, "Service card")
    assert "at most 500 characters" in await tap(tg, bot_api, citizen, "Complain about it")
    assert "at most 500 characters" in await say("x" * 501)   # too long: asked again
    code = complaint_code(await say("The bot never showed my appointment"))

    headers = await role_headers(tg.app[GATEWAY].db)
    listing = await (await tg.get("/api/v1/complaints?channel=telegram", headers=headers["viewer"])).json()
    assert [(i["code"], i["kind"], i["address"]) for i in listing["items"]] == [(code, "complaint", masked("telegram:main:5151"))]
    url = f"/api/v1/complaints/{code}/transition"
    rejected = await tg.post(url, json={"to": "rejected", "answer": "Appointments come by SMS only."}, headers=headers["operator"])
    assert rejected.status == 200
    said = await eventually(lambda: [m.text for m in bot_api.messages(5151) if "Reason:" in m.text], what="the rejection in the chat")
    assert said == [f"Pishkhan: complaint {code} rejected. Reason: Appointments come by SMS only."]


async def test_codes_that_name_no_request_or_complaint(rig: SmsRig) -> None:
    request_code = await apply_by_ussd(rig.client, phone=ALI)
    wrong_digit = request_code[:-1] + str((int(request_code[-1]) + 1) % 10)
    asked_again = await ussd(rig.client, ALI, [HELP, COMPLAIN, wrong_digit])
    assert "That tracking code is not valid" in asked_again   # the check digit caught the slip
    unknown = next(c for c in (new_tracking_code() for _ in range(5)) if c != request_code)
    assert "No request has this tracking code." in await ussd(rig.client, "+989121234999", [ENGLISH, HELP, COMPLAIN, unknown, "late"])
    headers = await role_headers(rig.gateway.db)
    assert (await (await rig.client.get("/api/v1/complaints", headers=headers["viewer"])).json())["total"] == 0
    assert (await rig.client.get(f"/api/v1/complaints/{request_code}", headers=headers["viewer"])).status == 404
    bad = await rig.client.get("/api/v1/complaints?status=lost&colour=red", headers=headers["viewer"])
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "colour"


async def test_a_new_request_never_takes_a_complaints_code_nor_a_complaint_a_requests(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    complaint = await gateway.complaints.file("suggestion", "Open on Thursdays", service_id=FIRST_ISSUE, channel="sms",
                                              address=f"tel:{ALI}", phone=ALI, lang="fa")
    fresh = [new_tracking_code() for _ in range(2)]
    drawn = iter([complaint.code, fresh[0]])
    new = NewRequest(service_id=FIRST_ISSUE, channel="sms", address=f"tel:{ALI}", phone=ALI, national_code=None, lang="fa", inputs={},
                     fee=0, due_date=complaint.due_date, idempotency_key=None, at=gateway.requests.clock(), notify=False)
    request, _ = await gateway.requests.store.create(new, lambda: next(drawn), 0.0)
    assert request.tracking_code == fresh[0]
    again = iter([request.tracking_code, fresh[1]])
    filed = NewComplaint(kind="complaint", service_id=FIRST_ISSUE, request_id=None, channel="sms", address=f"tel:{ALI}", phone=ALI,
                         lang="fa", text="x", due_date=complaint.due_date, at=gateway.requests.clock(), notify=False)
    other, _ = await gateway.complaints.store.create(filed, lambda: next(again))
    assert other.code == fresh[1]


def test_the_answer_by_sms_is_in_persian_digits_and_within_the_parts_allowed() -> None:
    long = "پرونده شما در دفتر ۱۲ بررسی شد و " * 20
    text = outcome_sms("complaint", "69515901794", "answered", long, "fa", 2)
    assert text.startswith("پیشخوان: شکایت ۶۹۵۱۵۹۰۱۷۹۴ پاسخ داده شد. پاسخ: پرونده") and text.endswith("…")
    assert sms_encoding(text).segments == 2
