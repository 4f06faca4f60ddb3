"""The identity check's daily limit per mobile number on a real gateway against the fake Shahkar: the
provider is asked at most `identity.max_checks_per_day` times a local day, answers from the cache are
not counted, past the limit nothing is submitted and the answers are still there, and the next local
day (Tehran's midnight, by the injected clock) the number may ask again."""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from clock import ManualClock
from fakes.shahkar import PASSWORD, USERNAME
from fakes.sms_gateway import start_rig
from ussd_citizen import tracking_code, ussd

from flows.gsm7 import sms_encoding
from gateway.app import GATEWAY, create_app
from gateway.calendar import CalendarSettings, build_calendar
from gateway.identity import texts
from gateway.identity.limit import DailyLimit, LimitReached
from gateway.settings import Settings

ALI, ALI_LOCAL, ALI_CODE = "+989121234567", "09121234567", "0499370899"
BOB = "+989350000002"
OTHER_CODES = ("0013542419", "0123456789", "0011223340")
"""Valid national codes that are not Ali's."""
LIMIT_EN = texts.LIMIT["en"]
LATE_EVENING = datetime.datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("Asia/Tehran")).timestamp()


def duplicate_en(code: str) -> list[str]:
    """English, services, civil registry, birth certificate, duplicate (identity_check: true), apply, the code, reason, confirm."""
    return ["2", *again(code)]


def again(code: str, reason: str = "1") -> list[str]:
    """The same once the number's language is remembered (another reason: another request, not a repeat of one)."""
    return ["1", "1", "2", "2", "1", code, reason, "1"]


@pytest.fixture
async def rig(aiohttp_client, settings: Settings, shahkar):  # type: ignore[no-untyped-def]
    """(client, fake Shahkar, clock): two provider questions a day per number, half an hour before Tehran's midnight."""
    fake, base_url = shahkar
    fake.owners[ALI_LOCAL] = ALI_CODE
    clock = ManualClock(LATE_EVENING)
    checked = settings.updated({"identity": {"provider": "shahkar", "base_url": base_url, "username": USERNAME, "password": PASSWORD,
                                             "timeout": 0.5, "cache_secret": "test-cache-key", "max_checks_per_day": 2},
                                "resume": {"window": 0}})   # every dial starts afresh (a page left open is not offered back)
    client = await aiohttp_client(await create_app(checked, clock=clock))
    return client, fake, clock


async def rows(client: Any, sql: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await client.app[GATEWAY].db.fetchall(sql)]


async def test_a_number_past_its_checks_for_the_day_submits_nothing_keeps_its_answers_and_may_ask_again_tomorrow(  # type: ignore[no-untyped-def]
        rig, caplog: pytest.LogCaptureFixture) -> None:
    client, fake, clock = rig
    gateway = client.app[GATEWAY]
    code = tracking_code(await ussd(client, ALI, duplicate_en(ALI_CODE)))                  # question 1: a match
    assert texts.NO_MATCH["en"] in await ussd(client, ALI, again(OTHER_CODES[0]))         # question 2: no match
    with caplog.at_level(logging.INFO):
        page = await ussd(client, ALI, again(OTHER_CODES[1]))                            # a third: not asked
    assert page.startswith("CON ") and LIMIT_EN in page and "0. Back" in page and "Tracking code" not in page
    assert len(fake.calls) == 2
    assert "+98912****567" in caplog.text and ALI not in caplog.text and OTHER_CODES[1] not in caplog.text
    assert await rows(client, "SELECT tracking_code FROM requests") == [{"tracking_code": code}]
    assert await rows(client, "SELECT id FROM identity_pending") == []
    assert "Reason" in await ussd(client, ALI, [*again(OTHER_CODES[1]), "0", "0"])        # back to the confirm, then the answers
    second = tracking_code(await ussd(client, ALI, again(ALI_CODE, reason="2")))          # the cache answers: not counted, submitted
    assert second != code and len(fake.calls) == 2
    fake.owners["09350000002"] = OTHER_CODES[2]
    tracking_code(await ussd(client, BOB, duplicate_en(OTHER_CODES[2])))                 # another number has its own count
    [counted] = await rows(client, "SELECT digest, day, checks FROM identity_limits WHERE checks = 2")
    assert counted["day"] == "2026-12-01" and "9121234567" not in counted["digest"]

    clock.advance(29 * 60)                                          # 23:59 in Tehran: still today
    assert LIMIT_EN in await ussd(client, ALI, again(OTHER_CODES[1])) and len(fake.calls) == 3
    clock.advance(60)                                               # 00:00:00 on the 2nd: a new day
    assert texts.NO_MATCH["en"] in await ussd(client, ALI, again(OTHER_CODES[1]))
    assert len(fake.calls) == 4 and fake.calls[-1]["body"]["identificationNo"] == OTHER_CODES[1]
    assert await gateway.identity.retry.once() == 0                 # the background pass forgets yesterday's counts
    assert [(r["day"], r["checks"]) for r in await rows(client, "SELECT day, checks FROM identity_limits")] == [("2026-12-02", 1)]


async def test_the_persian_sms_past_the_limit_is_one_part_and_says_nothing_was_submitted(  # type: ignore[no-untyped-def]
        aiohttp_server, aiohttp_client, settings: Settings) -> None:
    rig = await start_rig(aiohttp_server, aiohttp_client, settings.updated({"identity": {"max_checks_per_day": 1}}))
    await rig.gateway.identity.gate.check.matches(ALI, OTHER_CODES[0])     # the sandbox is asked: the day's one question
    await rig.reply_to("سلام")
    for text in ["1", "1", "2", "2", "1", "۰۴۹۹۳۷۰۸۹۹", "1"]:
        await rig.reply_to(text)
    page = await rig.reply_to("1")
    assert texts.LIMIT["fa"] in page and "۰. بازگشت" in page and sms_encoding(page).segments == 1
    assert await rig.gateway.db.fetchall("SELECT id FROM requests") == []
    assert "۱. تایید و ثبت" in await rig.reply_to("0")                      # the answers are still there


async def test_workers_asking_at_once_never_pass_the_limit_between_them(connections) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(LATE_EVENING)
    calendar = build_calendar(CalendarSettings())
    limits = [DailyLimit(await connections(), "test-cache-key", 5, calendar, clock) for _ in range(4)]   # four workers' stores

    async def take(limit: DailyLimit) -> bool:
        try:
            await limit.take(ALI)
        except LimitReached:
            return False
        return True

    taken = await asyncio.gather(*(take(limits[n % 4]) for n in range(12)))
    assert sum(taken) == 5
    await limits[0].take(BOB)                                          # another number's count is its own
    clock.advance(31 * 60)                                             # past Tehran's midnight
    assert await take(limits[1]) and await limits[2].prune() == 2
