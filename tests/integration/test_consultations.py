"""Consultations end to end: a poll opened through the API is answered once per phone number across
USSD (the real route), SMS (Kannel's inbound webhook) and a bot (the fake Bot API), a second answer on
another channel is refused, results count by channel; the window follows the injected clock; the
audience may be the citizens who used a service."""

from __future__ import annotations

import asyncio
import datetime
import itertools
from typing import Any

import pytest
from aiohttp.test_utils import unused_port
from api_tokens import role_headers
from clock import ManualClock
from fakes.bot_api import Citizen, FakeBotApi, base_url_of, post_update, with_bot
from fakes.jasmin import FakeJasmin
from fakes.kannel import FakeKannel
from fakes.sms_gateway import SmsRig, sms_settings
from ussd_citizen import FIRST_ID_CARD_EN, apply_by_ussd, ussd

from gateway.app import GATEWAY, create_app
from gateway.settings import Settings

ALI, SARA, REZA, NEDA = "+989121234567", "+989121110001", "+989121110002", "+989121110003"
QUESTION = {"fa": "ساعت کار دفاتر تا ۲۰ باشد؟", "en": "Open offices until 20:00?"}
OPTIONS = [{"fa": "بله", "en": "Yes"}, {"fa": "خیر", "en": "No"}, {"fa": "فرقی ندارد", "en": "No matter"}]
DAY = 86400.0


def iso(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat()


async def start(aiohttp_server, aiohttp_client, settings: Settings, bot_api: FakeBotApi, clock: ManualClock) -> SmsRig:  # type: ignore[no-untyped-def]
    """The gateway with the injected clock, between a fake Kannel, a fake Jasmin and the fake Bot API."""
    kannel, jasmin = FakeKannel(), FakeJasmin()
    kannel_url = str((await aiohttp_server(kannel.app())).make_url("")).rstrip("/")
    jasmin_url = str((await aiohttp_server(jasmin.app())).make_url("")).rstrip("/")
    port = unused_port()
    base = f"http://127.0.0.1:{port}"
    configured = with_bot(sms_settings(settings, kannel_url, jasmin_url, base), base_url_of(bot_api))
    server = await aiohttp_server(await create_app(configured, clock=clock), port=port)
    return SmsRig(await aiohttp_client(server), kannel, jasmin, base)


@pytest.fixture
async def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def rig(aiohttp_server, aiohttp_client, settings: Settings, bot_api: FakeBotApi, clock: ManualClock) -> SmsRig:  # type: ignore[no-untyped-def]
    return await start(aiohttp_server, aiohttp_client, settings, bot_api, clock)


async def open_poll(rig: SmsRig, clock: ManualClock, **fields: Any) -> dict[str, Any]:
    body = {"question": QUESTION, "options": OPTIONS, "closes_at": iso(clock() + DAY), **fields}
    headers = (await role_headers(rig.gateway.db))["operator"]
    response = await rig.client.post("/api/v1/consultations", json=body, headers=headers)
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def poll_of(rig: SmsRig, poll_id: int) -> dict[str, Any]:
    headers = (await role_headers(rig.gateway.db))["viewer"]
    response = await rig.client.get(f"/api/v1/consultations/{poll_id}", headers=headers)
    assert response.status == 200
    return dict(await response.json())


async def bot_citizen(rig: SmsRig, bot_api: FakeBotApi, user_id: int, phone: str) -> Citizen:
    """A bot user who shared their own number."""
    citizen = Citizen(user_id=user_id, language_code="en", _ids=itertools.count(user_id * 100))  # update ids are per bot
    assert await post_update(rig.client, citizen.contact(phone)) == 200
    return citizen


async def test_one_vote_per_phone_across_ussd_sms_and_bot_counted_by_channel(rig: SmsRig, bot_api: FakeBotApi, clock: ManualClock) -> None:
    poll = await open_poll(rig, clock)
    assert poll["state"] == "open" and poll["audience"] == "everyone" and poll["results"]["total"] == 0
    number = poll["id"]

    # USSD: English, then Consultations (5th on the home menu); the one open poll is shown at once.
    screen = await ussd(rig.client, ALI, ["2", "5"])
    assert screen.startswith("CON Open offices until 20:00?") and "1. Yes" in screen and "3. No matter" in screen
    assert "Thank you: your answer is counted." in await ussd(rig.client, ALI, ["2", "5", "2"])
    assert "No consultation is open for you now." in await ussd(rig.client, ALI, ["5"])  # answered: not offered again (English is remembered)

    # SMS: the keyword alone shows the poll; with the poll and an option, answers it.
    shown = await rig.reply_to("POLL", sender=SARA)
    assert f"Consultation {number}: Open offices until 20:00?" in shown and f"Reply POLL {number} <option>" in shown
    assert await rig.reply_to(f"POLL {number} 3", sender=SARA) == "Thank you: your answer is counted."
    # Ali answered by USSD: his text is refused politely (in English, the language he chose), his first answer stands.
    assert await rig.reply_to(f"نظر {number} ۱", sender=ALI) == "You have already answered this consultation. Thank you."
    # The Persian keyword from a new number: the poll in Persian, Persian digits.
    shown = await rig.reply_to("نظرسنجی", sender=NEDA)
    assert shown.startswith(f"نظرسنجی {'۱' if number == 1 else number}: ساعت کار دفاتر") and "۳. فرقی ندارد" in shown

    # Bot: /polls shows the poll with one button an option; a press answers it.
    reza = await bot_citizen(rig, bot_api, 5550101, REZA)
    assert await post_update(rig.client, reza.text("/polls")) == 200
    message = bot_api.menu(reza.user_id)
    assert message.text == "Open offices until 20:00?"
    assert [b["callback_data"] for b in message.buttons] == [f"poll:{number}:{n}" for n in (1, 2, 3)]
    assert await post_update(rig.client, reza.press(message, message.button("Yes")["callback_data"])) == 200
    assert bot_api.last(reza.user_id).text == "Thank you: your answer is counted."
    # Sara's number, verified on a bot: she answered by SMS, so her press counts nothing.
    sara = await bot_citizen(rig, bot_api, 5550102, SARA)
    assert await post_update(rig.client, sara.press(message, f"poll:{number}:2")) == 200
    assert bot_api.last(sara.user_id).text == "You have already answered this consultation. Thank you."
    # A chat with no verified number is asked for it, and nothing is counted.
    stranger = Citizen(user_id=5550103, language_code="en", _ids=itertools.count(5550103 * 100))
    assert await post_update(rig.client, stranger.press(message, f"poll:{number}:1")) == 200
    assert bot_api.last(stranger.user_id).reply_markup["keyboard"][0][0]["request_contact"] is True  # type: ignore[index]

    results = (await poll_of(rig, number))["results"]
    assert results["total"] == 3
    assert results["by_channel"] == {"ussd": 1, "sms": 1, "telegram": 1}
    assert [(o["option"], o["votes"], o["by_channel"]) for o in results["options"]] == [
        (1, 1, {"ussd": 0, "sms": 0, "telegram": 1}), (2, 1, {"ussd": 1, "sms": 0, "telegram": 0}), (3, 1, {"ussd": 0, "sms": 1, "telegram": 0})]

    # The close time passes (the injected clock): answers are refused politely, the results stay.
    clock.advance(DAY + 1)
    assert await rig.reply_to(f"POLL {number} 1", sender=NEDA) == "This consultation has closed. Thank you."
    closed = await poll_of(rig, number)
    assert closed["state"] == "closed" and closed["results"]["total"] == 3


async def test_audience_by_service_the_window_and_closing(rig: SmsRig, bot_api: FakeBotApi, clock: ManualClock) -> None:
    code = await apply_by_ussd(rig.client, FIRST_ID_CARD_EN, ALI)
    service_id = (await rig.gateway.requests.get(code)).service_id  # type: ignore[union-attr]
    poll = await open_poll(rig, clock, audience_service=service_id, opens_at=iso(clock() + 3600))
    number = poll["id"]
    assert poll["state"] == "scheduled" and poll["audience"] == {"service_id": service_id}

    assert await rig.reply_to(f"POLL {number} 1", sender=ALI) == "This consultation is not open yet."
    assert "No consultation is open for you now." in await ussd(rig.client, ALI, ["5"])  # English is remembered
    clock.advance(3601)
    # Sara never used the service: she is not offered the poll, and naming it finds nothing.
    assert "No consultation is open for you now." in await ussd(rig.client, SARA, ["2", "5"])
    assert await rig.reply_to(f"POLL {number} 1", sender=SARA) == f"No open consultation {number} is there for you."
    assert "Thank you" in await ussd(rig.client, ALI, ["5", "1"])

    headers = (await role_headers(rig.gateway.db))["operator"]
    response = await rig.client.post(f"/api/v1/consultations/{number}/close", headers=headers)
    assert response.status == 200 and (await response.json())["state"] == "closed"
    assert (await poll_of(rig, number))["results"]["options"][0]["votes"] == 1
    audit = await rig.gateway.db.fetchall("SELECT action, subject FROM audit WHERE action LIKE 'consultation.%' ORDER BY id")
    assert [(a["action"], a["subject"]) for a in audit] == [("consultation.opened", f"consultation {number}"),
                                                            ("consultation.closed", f"consultation {number}")]


@pytest.mark.parametrize(("change", "field"), [
    ({"colour": "red"}, "colour"),
    ({"options": OPTIONS[:1]}, "options"),
    ({"options": [*OPTIONS, {"fa": "بله", "en": "Yes"}]}, "options"),
    ({"question": {"fa": "پرسش " * 20, "en": "A question"}}, "question"),
    ({"question": {"fa": "پرسش", "en": "Q", "de": "F"}}, "question"),
    ({"closes_at": "2026-12-01T08:00:00"}, "closes_at"),
    ({"opens_at": "tomorrow"}, "opens_at"),
    ({"audience_service": "999999999"}, "audience_service"),
])
async def test_a_bad_poll_is_refused_naming_the_field(client, tokens, change: dict[str, Any], field: str) -> None:  # type: ignore[no-untyped-def]
    body = {"question": QUESTION, "options": OPTIONS, "closes_at": "2099-01-01T00:00:00+03:30", **change}
    response = await client.post("/api/v1/consultations", json=body, headers=tokens["operator"])
    assert response.status == 422, await response.text()
    error = (await response.json())["error"]
    assert field in error["message"], error
    assert (await client.get("/api/v1/consultations", headers=tokens["viewer"])).status == 200
    assert (await (await client.get("/api/v1/consultations", headers=tokens["viewer"])).json())["total"] == 0


async def test_two_channels_answering_at_once_count_once(client, tokens) -> None:  # type: ignore[no-untyped-def]
    body = {"question": QUESTION, "options": OPTIONS, "closes_at": "2099-01-01T00:00:00+03:30"}
    poll = await (await client.post("/api/v1/consultations", json=body, headers=tokens["operator"])).json()
    polls = client.app[GATEWAY].polls
    answers = await asyncio.gather(*(polls.answer(poll["id"], n, phone=ALI, channel=channel, lang="en")
                                     for n, channel in ((1, "ussd"), (2, "sms"), (3, "telegram"))))
    assert sorted(a.outcome.value for a in answers) == ["already", "already", "counted"]
    rows = await client.app[GATEWAY].db.fetchall("SELECT option, channel FROM consultation_votes")
    assert len(rows) == 1
    results = (await (await client.get(f"/api/v1/consultations/{poll['id']}", headers=tokens["viewer"])).json())["results"]
    assert results["total"] == 1 and results["by_channel"][rows[0]["channel"]] == 1
