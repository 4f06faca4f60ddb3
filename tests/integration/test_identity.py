"""The identity check on a real gateway: a USSD citizen against the fake Shahkar, the provider down
and back, the answers kept across the session's end, the background pass, the cache and the logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from clock import ManualClock
from fakes.shahkar import PASSWORD, USERNAME
from ussd_citizen import tracking_code, ussd

from channels.inbound import Inbound
from flows.paging import Surface
from gateway.app import GATEWAY, create_app
from gateway.identity import texts
from gateway.sessions import SessionKey
from gateway.settings import Settings

ALI, ALI_LOCAL, ALI_CODE = "+989121234567", "09121234567", "0499370899"
DUPLICATE_EN = ["2", "1", "1", "2", "2", "1", ALI_CODE, "1", "1"]
"""English, services, civil registry, birth certificate, duplicate (identity_check: true), apply, national code, reason, confirm."""
WAITING_EN, NO_MATCH_EN = texts.WAITING["en"], texts.NO_MATCH["en"]


def checked_settings(settings: Settings, base_url: str, **identity: Any) -> Settings:
    return settings.updated({"identity": {"provider": "shahkar", "base_url": base_url, "username": USERNAME, "password": PASSWORD,
                                          "timeout": 0.5, "cache_secret": "test-cache-key", **identity}})


@pytest.fixture
async def rig(aiohttp_client, settings: Settings, shahkar):  # type: ignore[no-untyped-def]
    """(client, fake Shahkar, clock): the gateway asking the fake, its time moved by hand."""
    fake, base_url = shahkar
    clock = ManualClock()
    client = await aiohttp_client(await create_app(checked_settings(settings, base_url), clock=clock))
    return client, fake, clock


async def rows(client: Any, sql: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await client.app[GATEWAY].db.fetchall(sql)]


async def test_a_matching_number_is_submitted_and_a_second_request_is_answered_from_the_cache(rig) -> None:  # type: ignore[no-untyped-def]
    client, fake, _ = rig
    fake.owners[ALI_LOCAL] = ALI_CODE
    code = tracking_code(await ussd(client, ALI, DUPLICATE_EN))
    assert [c["body"]["serviceNumber"] for c in fake.calls] == [ALI_LOCAL] and fake.calls[0]["body"]["identificationNo"] == ALI_CODE
    assert fake.calls[0]["authorization"].startswith("Basic ")
    [request] = await rows(client, "SELECT tracking_code, phone, national_code FROM requests")
    assert request == {"tracking_code": code, "phone": ALI, "national_code": ALI_CODE}
    [cached] = await rows(client, "SELECT * FROM identity_checks")
    assert cached["matches"] == 1 and ALI_CODE not in cached["digest"] and "9121234567" not in cached["digest"]
    await ussd(client, ALI, [*DUPLICATE_EN[1:-2], "2", "1"])   # English remembered; worn out, not lost: another request, the same pair
    assert len(fake.calls) == 1 and len(await rows(client, "SELECT id FROM requests")) == 2


async def test_a_number_that_is_not_the_codes_submits_nothing(rig) -> None:  # type: ignore[no-untyped-def]
    client, fake, _ = rig
    fake.owners[ALI_LOCAL] = "0013542419"
    page = await ussd(client, ALI, DUPLICATE_EN)
    assert page.startswith("CON ") and NO_MATCH_EN in page and "Tracking code" not in page
    assert await rows(client, "SELECT id FROM requests") == [] and await rows(client, "SELECT id FROM identity_pending") == []


async def test_when_the_provider_is_down_the_answers_outlive_the_session_and_the_request_follows(  # type: ignore[no-untyped-def]
        rig, caplog: pytest.LogCaptureFixture) -> None:
    client, fake, clock = rig
    gateway = client.app[GATEWAY]
    fake.fail_with = 503
    with caplog.at_level(logging.INFO):
        page = await ussd(client, ALI, DUPLICATE_EN)
    assert page == f"END {WAITING_EN}"
    assert await rows(client, "SELECT id FROM requests") == []
    [kept] = await rows(client, "SELECT channel, address, phone, inputs FROM identity_pending")
    assert kept["address"] == f"tel:{ALI}" and ALI_CODE in kept["inputs"]
    assert await gateway.identity.retry.once() == 0   # not due yet
    clock.advance(60)
    assert await gateway.identity.retry.once() == 0   # still down: tried, kept, asked again later
    fake.fail_with, fake.owners[ALI_LOCAL] = None, ALI_CODE
    clock.advance(120)
    with caplog.at_level(logging.INFO):
        assert await gateway.identity.retry.once() == 1
    [request] = await rows(client, "SELECT tracking_code, channel, phone FROM requests")
    assert request["channel"] == "ussd" and request["phone"] == ALI
    receipts = await rows(client, "SELECT channel, address, text FROM outbox WHERE kind = 'receipt'")
    assert receipts == [{"channel": "sms", "address": f"tel:{ALI}", "text": receipts[0]["text"]}]
    assert request["tracking_code"] in receipts[0]["text"]
    assert await rows(client, "SELECT id FROM identity_pending") == []
    assert await gateway.identity.retry.once() == 0 and len(await rows(client, "SELECT id FROM requests")) == 1
    assert PASSWORD not in caplog.text and ALI not in caplog.text and ALI_CODE not in caplog.text
    assert "+98912****567" in caplog.text


async def test_a_provider_that_answers_no_match_later_or_never_is_told_to_the_citizen(rig) -> None:  # type: ignore[no-untyped-def]
    client, fake, clock = rig
    gateway = client.app[GATEWAY]
    fake.fail_with = 502
    assert await ussd(client, ALI, DUPLICATE_EN) == f"END {WAITING_EN}"
    assert await ussd(client, "+989350000002", ["2", "1", "1", "2", "2", "1", "0013542419", "1", "1"]) == f"END {WAITING_EN}"
    fake.fail_with, fake.owners[ALI_LOCAL] = None, "0013542419"   # ALI's number is someone else's
    fake.owners["09350000002"] = ALI_CODE
    clock.advance(61)
    await gateway.db.execute("UPDATE identity_pending SET next_at = next_at + 3600 WHERE phone = ?", ("+989350000002",))
    assert await gateway.identity.retry.once() == 1
    [told] = await rows(client, "SELECT channel, address, text FROM outbox")
    assert told["address"] == f"tel:{ALI}" and "was not submitted" in told["text"] and "Duplicate birth certificate" in told["text"]
    fake.fail_with = 503
    clock.advance(24 * 3600)   # give_up_hours: the other one waited long enough
    assert await gateway.identity.retry.once() == 1
    gave_up = await rows(client, "SELECT address, text FROM outbox WHERE address = 'tel:+989350000002'")
    assert len(gave_up) == 1 and "Please apply again" in gave_up[0]["text"]
    assert await rows(client, "SELECT id FROM requests") == [] and await rows(client, "SELECT id FROM identity_pending") == []


async def test_a_provider_that_does_not_answer_in_time_keeps_the_answers(rig) -> None:  # type: ignore[no-untyped-def]
    client, fake, _ = rig
    fake.hang = True
    assert await ussd(client, ALI, DUPLICATE_EN) == f"END {WAITING_EN}"
    assert len(await rows(client, "SELECT id FROM identity_pending")) == 1


async def test_a_bot_chat_without_a_verified_number_is_asked_for_it_then_submits(rig) -> None:  # type: ignore[no-untyped-def]
    client, fake, _ = rig
    gateway = client.app[GATEWAY]
    fake.owners[ALI_LOCAL] = ALI_CODE
    address, surface = "telegram:main:77", Surface("telegram")

    async def turn(text: str, phone: str | None = None, new: bool = False) -> str:
        inbound = Inbound("telegram", address, text, "test", phone=phone, new_session=new)
        return (await gateway.conversations.turn(inbound, surface)).body

    await turn("", new=True)
    for choice in ["2", "1", "1", "2", "2", "1", ALI_CODE, "1"]:
        await turn(choice)
    assert texts.SHARE_NUMBER["en"] in await turn("1")
    assert await rows(client, "SELECT id FROM requests") == []
    await gateway.conversations.sessions.attach_phone(SessionKey("telegram", address), ALI)   # what sharing the contact does
    assert "Tracking code" in await turn("1")
    assert [r["phone"] for r in await rows(client, "SELECT phone FROM requests")] == [ALI]
