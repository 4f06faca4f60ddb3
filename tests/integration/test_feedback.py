"""Satisfaction per service, end to end: a request filed over USSD and delivered through the operator
API is followed by the rating question by SMS (after the status notification), answered by SMS and
counted in the service's CSAT; a bot citizen rates with a button and comments; a survey expires (the
injected clock), a late, repeated or out-of-range answer changes nothing, a rejected request later
delivered is asked once; an opted-out number is never asked; a plain "4" with no survey runs the
conversation as before."""

from __future__ import annotations

from typing import Any

import pytest
from api_tokens import role_headers
from clock import ManualClock
from fakes.bot_api import Citizen, FakeBotApi, base_url_of, post_update, with_bot
from fakes.sms_gateway import ALI, SmsRig, start_rig
from ussd_citizen import apply_by_ussd
from waiting import eventually

from gateway.app import GATEWAY, create_app, open_gateway
from gateway.settings import SettingsError
from gateway.telegram.contacts import ContactStore

FIRST_ID = "121095100"
INPUTS = {"national_code": "0499370899", "birth_date": "1375/06/21"}
DAY = 24 * 3600.0
ZERO = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}


async def _rig(aiohttp_server, aiohttp_client, settings) -> tuple[SmsRig, ManualClock]:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    return await start_rig(aiohttp_server, aiohttp_client, settings, clock=clock), clock


async def _move(client: Any, headers: dict[str, str], code: str, *steps: str) -> None:
    """Operator moves through the API, as staff do."""
    for step in steps:
        to, _, reason = step.partition(":")
        body = {"to": to, **({"reason": reason} if reason else {})}
        response = await client.post(f"/api/v1/requests/{code}/transition", json=body, headers=headers)
        assert response.status == 200, await response.text()


async def _asked(rig: SmsRig, part: str) -> dict[str, Any]:
    """The Kannel call carrying the question, once sent."""
    return await eventually(lambda: next((c for c in rig.kannel.calls if part in c["text"]), None), what=f"no SMS with {part!r}")


async def test_a_ussd_request_delivered_by_the_api_is_rated_by_sms_and_counted(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    rig, _ = await _rig(aiohttp_server, aiohttp_client, settings)
    tokens = await role_headers(rig.gateway.db)
    code = await apply_by_ussd(rig.client)                                  # English, from ALI's phone
    await _move(rig.client, tokens["operator"], code, "in_review", "approved", "delivered")
    question = await _asked(rig, "how satisfied")
    assert question["to"] == ALI and code in question["text"] and "Reply 1 (very poor) to 5 (excellent)" in question["text"]
    news = next(i for i, c in enumerate(rig.kannel.calls) if "status: delivered" in c["text"])
    assert news < rig.kannel.calls.index(question)                          # the news first, then the question about it

    assert await rig.reply_to("5 great") == "Thank you! Your rating of 5 out of 5 and your comment are recorded."
    assert await rig.reply_to("2") == "You have already rated this request (5 out of 5). Thank you!"   # the first answer stands

    summary = await rig.client.get("/api/v1/feedback/summary", headers=tokens["viewer"])
    assert (await summary.json())["items"] == [{"service_id": FIRST_ID, "asked": 1, "answered": 1, "average": 5.0,
                                                "distribution": {**ZERO, "5": 1}}]
    viewed = (await (await rig.client.get(f"/api/v1/feedback?service_id={FIRST_ID}", headers=tokens["viewer"])).json())
    [answer] = viewed["items"]
    assert (answer["tracking_code"], answer["channel"], answer["rating"], answer["comment"]) == (code, "ussd", 5, "great")
    assert answer["address"] == "tel:+98912****567" and viewed["total"] == 1
    full = await (await rig.client.get("/api/v1/feedback", headers=tokens["operator"])).json()
    assert full["items"][0]["address"] == f"tel:{ALI}"
    wrong = await rig.client.get("/api/v1/feedback?since=2026-13-01", headers=tokens["viewer"])
    assert wrong.status == 422 and (await wrong.json())["error"]["field"] == "since"
    spec = await (await rig.client.get("/api/v1/openapi.json")).json()
    assert {"/feedback", "/feedback/summary"} <= set(spec["paths"])


async def test_expiry_late_and_out_of_range_answers_and_one_survey_per_request(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    rig, clock = await _rig(aiohttp_server, aiohttp_client, settings)
    requests = rig.gateway.requests
    record = await requests.submit(FIRST_ID, INPUTS, channel="sms", address=f"tel:{ALI}", phone=ALI, lang="fa")
    await requests.transition(record.tracking_code, "in_review", actor="desk 3", reason=None)
    await requests.transition(record.tracking_code, "rejected", actor="desk 3", reason="مدارک ناقص است")
    question = await _asked(rig, "چقدر راضی بودید")
    assert "از ۱ (خیلی بد) تا ۵ (عالی)" in question["text"] and "«صدور اول»" in question["text"]

    assert await rig.reply_to("۷") == "لطفا عددی از ۱ تا ۵ بفرستید، مثلا: ۴ یا ۴ برخورد خوب"     # out of range: help, nothing stored
    await rig.reply_to("سلام")                                          # the menu: a conversation is going
    assert "زبان / Language" in await rig.reply_to("4")                   # its screen takes 4: option 4, not a rating
    clock.advance(3 * DAY + 1)                                                                     # feedback.expires_after: 3 days
    assert "مهلت نظرسنجی این درخواست تمام شده" in await rig.reply_to("4 خوب بود")   # the language menu takes no "4 خوب بود"
    [survey] = await rig.gateway.db.fetchall("SELECT rating, answered_at FROM feedback_surveys")
    assert survey == {"rating": None, "answered_at": None}

    await requests.transition(record.tracking_code, "delivered", actor="desk 3", reason=None)       # rejected -> delivered: not asked again
    await eventually(lambda: any("تحویل شده" in c["text"] for c in rig.kannel.calls))
    assert len(await rig.outbox(kind="survey")) == 1

    clock.advance(3 * DAY)                                             # forgotten a lifetime after it closed: "4" is a text like any
    assert "مهلت نظرسنجی" not in await rig.reply_to("4")
    tokens = await role_headers(rig.gateway.db)
    summary = await (await rig.client.get("/api/v1/feedback/summary", headers=tokens["viewer"])).json()
    assert summary["items"] == [{"service_id": FIRST_ID, "asked": 1, "answered": 0, "average": None, "distribution": ZERO}]


async def test_an_opted_out_number_is_never_asked_and_a_plain_4_still_runs_the_conversation(rig: SmsRig) -> None:
    assert "زبان / Language" in await rig.reply_to("4", sender="+989350000009")   # a first "4" is option 4 of the menu: language
    assert "notifications to this number are off" in await rig.reply_to("STOP")
    code = await apply_by_ussd(rig.client)
    await rig.gateway.requests.transition(code, "in_review", actor="desk 3", reason=None)
    await rig.gateway.requests.transition(code, "rejected", actor="desk 3", reason="Incomplete documents")
    await eventually(lambda: rig.outbox(kind="notification", state="suppressed"))
    assert await rig.gateway.db.fetchall("SELECT id FROM feedback_surveys") == []
    assert await rig.outbox(kind="survey") == [] and not any("satisfied" in c["text"] for c in rig.kannel.calls)
    shown = await rig.reply_to("4")                                     # no survey for this number: the conversation's own answer
    assert "Language / زبان" in shown and "rate" not in shown


CHAT = 5550042


async def test_a_bot_citizen_rates_with_a_button_then_comments(aiohttp_client, settings, bot_api: FakeBotApi) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(await create_app(with_bot(settings, base_url_of(bot_api))))
    gateway = client.app[GATEWAY]
    tokens = await role_headers(gateway.db)
    citizen = Citizen(CHAT, language_code="en")
    record = await gateway.requests.submit(FIRST_ID, INPUTS, channel="telegram", address=f"telegram:main:{CHAT}", phone=None, lang="en")
    await _move(client, tokens["operator"], record.tracking_code, "in_review", "approved", "delivered")
    question = await bot_api.wait_for_message(CHAT, "how satisfied")
    assert "Tap 1 (very poor) to 5 (excellent)." in question.text
    [survey_id] = [r["id"] for r in await gateway.db.fetchall("SELECT id FROM feedback_surveys")]
    assert [b["callback_data"] for b in question.buttons] == [f"csat:{survey_id}:{r}" for r in range(1, 6)]
    assert bot_api.messages(CHAT).index(question) > 0                   # after the "delivered" notification

    four, one = question.button("4")["callback_data"], question.button("1")["callback_data"]
    assert await post_update(client, citizen.press(question, four)) == 200
    assert bot_api.last(CHAT) is question and "Your rating: 4 out of 5" in question.text and not question.buttons  # thanked in place
    assert await post_update(client, citizen.text("Quick and polite")) == 200
    assert bot_api.last(CHAT).text == "Your comment is recorded. Thank you!"
    assert await post_update(client, citizen.press(question, one)) == 200      # a second tap (another device showed the buttons still)
    assert bot_api.calls_of("answerCallbackQuery")[-1].params["text"] == "You have already rated this request (4 out of 5). Thank you!"

    answers = await (await client.get("/api/v1/feedback", headers=tokens["viewer"])).json()
    assert [(a["channel"], a["rating"], a["comment"]) for a in answers["items"]] == [("telegram", 4, "Quick and polite")]
    summary = await (await client.get(f"/api/v1/feedback/summary?service_id={FIRST_ID}", headers=tokens["viewer"])).json()
    assert summary["items"][0]["distribution"] == {**ZERO, "4": 1}


async def test_a_chat_that_blocked_the_bot_is_not_asked_by_sms_instead(aiohttp_client, settings, bot_api: FakeBotApi) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(await create_app(with_bot(settings, base_url_of(bot_api))))
    gateway = client.app[GATEWAY]
    await ContactStore(gateway.db).verify("main", CHAT, CHAT, ALI)          # a verified number: news falls back to SMS
    record = await gateway.requests.submit(FIRST_ID, INPUTS, channel="telegram", address=f"telegram:main:{CHAT}", phone=ALI, lang="en")
    await gateway.requests.transition(record.tracking_code, "in_review", actor="desk 3", reason=None)
    bot_api.block(CHAT, after=1)                                            # blocks the bot once "in review" reached the chat
    await gateway.requests.transition(record.tracking_code, "rejected", actor="desk 3", reason="Incomplete")

    async def settled() -> list[dict[str, Any]]:
        rows = await gateway.db.fetchall("SELECT channel, kind, state, last_error FROM outbox WHERE kind IN ('notification', 'survey')")
        gateway.outbox.wake.set()
        return rows if len(rows) == 4 and all(r["state"] in ("sent", "failed") for r in rows) else []

    rows = await eventually(settled)
    assert sorted((r["channel"], r["kind"], r["state"]) for r in rows) == [
        ("sms", "notification", "sent"), ("telegram", "notification", "failed"), ("telegram", "notification", "sent"),
        ("telegram", "survey", "failed")]                                   # the news went by SMS instead; the question did not
    [survey] = [r for r in rows if r["kind"] == "survey"]
    assert "not sent by SMS" in survey["last_error"]


async def test_every_language_needs_a_question(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SettingsError, match="`feedback.question` has no text for en"):
        await open_gateway(settings.updated({"feedback": {"question": {"en": " "}}}))


async def test_switched_off_no_survey_is_asked(settings) -> None:  # type: ignore[no-untyped-def]
    gateway = await open_gateway(settings.updated({"feedback": {"enabled": False}}))
    try:
        record = await gateway.requests.submit(FIRST_ID, INPUTS, channel="sms", address=f"tel:{ALI}", phone=ALI, lang="en")
        await gateway.requests.transition(record.tracking_code, "in_review", actor="desk 3", reason=None)
        await gateway.requests.transition(record.tracking_code, "rejected", actor="desk 3", reason="Incomplete")
        kinds = [r["kind"] for r in await gateway.db.fetchall("SELECT kind FROM outbox WHERE kind <> 'payment_link' ORDER BY id")]
        assert kinds == ["notification", "notification"] and await gateway.db.fetchall("SELECT id FROM feedback_surveys") == []
    finally:
        await gateway.close()
