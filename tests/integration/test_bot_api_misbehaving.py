"""A Bot API answering outside its contract, as a third-party emulator (telegram-test-api) was seen to:
the gateway stays up, the bot is reported degraded and recovers, polling goes on, and one odd answer
costs at most one message, never the rest of a turn or the menu."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from fakes.bot_api import Citizen, FakeBotApi, base_url_of, post_update, with_bot
from waiting import eventually

from gateway.app import GATEWAY, create_app
from gateway.telegram.polling import enable_polling

ALI = 7001


def without(key: str) -> Any:
    """A `garble` change dropping `key` from the result."""
    return lambda result: {k: v for k, v in result.items() if k != key}


def in_milliseconds(message: dict[str, Any]) -> dict[str, Any]:
    """A message whose `date` is in milliseconds: python-telegram-bot reads it as the year 58884."""
    return {**message, "date": int(time.time() * 1000)}


async def bot_ready(client) -> bool:  # type: ignore[no-untyped-def]
    """/readyz's `bot:main`."""
    return bool((await (await client.get("/readyz")).json())["checks"]["bot:main"])


async def until_bot_ready(client, ready: bool = True) -> None:  # type: ignore[no-untyped-def]
    async def reached() -> bool:
        return await bot_ready(client) is ready

    await eventually(reached, what=f"/readyz never said bot:main {ready}")


async def polling_gateway(aiohttp_client, settings, bot_api: FakeBotApi, **timing: float):  # type: ignore[no-untyped-def]
    """A test client of the gateway polling the fake for bot `main`."""
    app = await create_app(with_bot(settings, base_url_of(bot_api)))
    enable_polling(app, app[GATEWAY].bots, **timing)
    return await aiohttp_client(app)


# --- 3. getMe ---------------------------------------------------------------------------------------

async def test_a_getme_answer_the_bot_cannot_read_leaves_the_gateway_up_and_the_bot_recovers(
    aiohttp_client, settings, bot_api, caplog,  # type: ignore[no-untyped-def]
) -> None:
    bot_api.garble("getMe", without("is_bot"), times=3)
    client = await aiohttp_client(await create_app(with_bot(settings, base_url_of(bot_api), ready_retry=0.1)))
    assert "answered getMe with what python-telegram-bot cannot read (TypeError" in caplog.text
    response = await client.get("/readyz")
    assert response.status == 200 and (await response.json())["checks"]["bot:main"] is False   # reported, USSD stays in

    page = await client.post("/ussd/africastalking", data={"sessionId": "g1", "serviceCode": "*4#", "phoneNumber": "+989125550104", "text": ""})
    assert (await page.text()).startswith("CON ")
    sms = await client.get("/sms/inbound/kannel", params={"id": "g1", "sender": "989125550104", "receiver": "4000", "text": "hi"})
    assert sms.status == 200

    await until_bot_ready(client)                                           # retried in the background
    assert len(bot_api.calls_of("getMe")) == 4
    assert await post_update(client, Citizen(ALI).text("/start")) == 200
    assert bot_api.menu(ALI).buttons


# --- 4. updates polling cannot read -----------------------------------------------------------------

def callback_without_chat_instance(citizen: Citizen) -> dict[str, Any]:
    update = citizen.press(type("Menu", (), {"message_id": 1, "text": "old menu"})(), "0a1b2c3d.1")   # type: ignore[arg-type]
    del update["callback_query"]["chat_instance"]
    return update


def message_dated_in_milliseconds(citizen: Citizen) -> dict[str, Any]:
    update = citizen.text("سلام")
    update["message"] = in_milliseconds(update["message"])
    return update


@pytest.mark.parametrize("unreadable", [callback_without_chat_instance, message_dated_in_milliseconds])
async def test_polling_skips_an_update_it_cannot_read_and_goes_on(aiohttp_client, settings, bot_api, caplog, unreadable) -> None:  # type: ignore[no-untyped-def]
    client = await polling_gateway(aiohttp_client, settings, bot_api)
    ali = Citizen(ALI, language_code="en")
    bad = unreadable(ali)
    bot_api.queue_update(bad)
    await eventually(lambda: bad["update_id"] + 1 in [c.params.get("offset") for c in bot_api.calls_of("getUpdates")],
                     what="the unreadable update was never acknowledged")
    assert f"update {bad['update_id']} ignored, python-telegram-bot cannot read it" in caplog.text
    bot_api.queue_update(ali.text("/start"))
    await bot_api.wait_for_message(ALI, "Language")                           # the next update is answered
    assert await bot_ready(client)
    bot_api.queue_update(ali.text("/start"))                                  # and polling is still alive
    await eventually(lambda: len(bot_api.messages(ALI)) >= 4, what="the second /start got no answer")


@pytest.mark.parametrize("misbehave", [
    lambda api: api.fail(500, "Internal Server Error", times=1000, method="getUpdates"),
    lambda api: api.garble("getUpdates", lambda result: {"updates": result}, times=1000),
], ids=["500", "not-a-list"])
async def test_a_failing_poller_makes_the_bot_not_ready_until_polling_works_again(aiohttp_client, settings, bot_api, misbehave) -> None:  # type: ignore[no-untyped-def]
    client = await polling_gateway(aiohttp_client, settings, bot_api, error_pause=0.05)
    await until_bot_ready(client)
    misbehave(bot_api)
    await until_bot_ready(client, False)
    bot_api.failures.clear()
    bot_api.garbles.clear()
    await until_bot_ready(client)
    bot_api.queue_update(Citizen(ALI).text("/start"))
    await bot_api.wait_for("sendMessage")


async def test_the_poller_starts_again_when_removing_the_webhook_fails(aiohttp_client, settings, bot_api) -> None:  # type: ignore[no-untyped-def]
    bot_api.fail(500, "Internal Server Error", times=2, method="deleteWebhook")
    client = await polling_gateway(aiohttp_client, settings, bot_api, error_pause=0.3)
    assert not await bot_ready(client)                                      # not polling yet: not ready
    bot_api.queue_update(Citizen(ALI).text("/start"))
    await bot_api.wait_for("sendMessage")
    assert len(bot_api.calls_of("deleteWebhook")) == 3 and await bot_ready(client)


# --- 6. a getUpdates that ignores its timeout -----------------------------------------------------

@pytest.mark.parametrize("brought", [[], [{"message": {"text": "an entry without an update_id"}}]], ids=["nothing", "no-update-id"])
async def test_polls_answered_at_once_with_nothing_new_are_spaced_out(aiohttp_client, settings, bot_api, brought) -> None:  # type: ignore[no-untyped-def]
    bot_api.instant_polls = True
    bot_api.garble("getUpdates", lambda result: result or brought, times=1000)
    await polling_gateway(aiohttp_client, settings, bot_api, min_interval=0.25)
    await bot_api.wait_for("getUpdates")
    before = len(bot_api.calls_of("getUpdates"))
    await asyncio.sleep(1.0)                                                 # a second of idling is what is measured
    assert len(bot_api.calls_of("getUpdates")) - before <= 5                 # 4 a second, not hundreds
    bot_api.queue_update(Citizen(ALI).text("/start"))                        # and updates still come through
    await bot_api.wait_for("sendMessage")


# --- 5. answers outside the contract cost one message -----------------------------------------------

async def test_a_sent_message_dated_in_milliseconds_does_not_cost_the_rest_of_the_turn(tg, bot_api, caplog) -> None:  # type: ignore[no-untyped-def]
    ali = Citizen(ALI, language_code="en")
    bot_api.garble("sendMessage", in_milliseconds)                            # the answer to the menu
    assert await post_update(tg, ali.text("/start")) == 200
    menu, invite = bot_api.messages(ALI)
    assert "Language" in menu.text and "Share my phone number" in invite.text  # the turn went on after it
    assert "sendMessage answered outside the Bot API's contract (ValueError: year" in caplog.text
    await post_update(tg, ali.press(menu, menu.button("English")["callback_data"]))
    assert "Government services" in menu.text                                  # and its buttons work


async def test_an_edit_answered_with_null_sends_the_menu_anew_and_its_buttons_work(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    ali = Citizen(ALI, language_code="en")
    await post_update(tg, ali.text("/start"))
    bot_api.garble("editMessageText", lambda result: None)
    menu = bot_api.menu(ALI)
    await post_update(tg, ali.press(menu, menu.button("English")["callback_data"]))
    fresh = bot_api.menu(ALI)
    assert fresh.message_id != menu.message_id and "Government services" in fresh.text   # one more message
    await post_update(tg, ali.press(fresh, fresh.button("Services")["callback_data"]))
    answers = [c.params.get("text") for c in bot_api.calls_of("answerCallbackQuery")]
    assert answers == [None, None] and "Services:" in bot_api.menu(ALI).text   # not "this menu is out of date"


async def test_a_notification_whose_answer_cannot_be_read_is_sent_once(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    gateway = tg.app[GATEWAY]
    bot_api.garble("sendMessage", in_milliseconds)
    message_id = await gateway.outbox.enqueue("telegram", f"telegram:main:{ALI}", "Your request is approved.", meta={"lang": "en"})

    async def sent() -> dict | None:
        row = await gateway.outbox.get(message_id)
        gateway.outbox.wake.set()
        return row if row["state"] == "sent" else None

    row = await eventually(sent, what="the notification never counted as sent")
    assert row["attempts"] == 1 and row["provider_message_id"] is None
    assert [m.text for m in bot_api.messages(ALI)] == ["Your request is approved."]


@pytest.fixture(autouse=True)
def _logs(caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
