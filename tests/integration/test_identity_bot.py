"""On a bot, a service requiring the identity check asks a chat with no verified number to share it
(the contact button, as the bot already offers it), then `Continue` submits with that number."""

from __future__ import annotations

from fakes.bot_api import Citizen, FakeBotApi, post_update
from ussd_citizen import tracking_code

from gateway.app import GATEWAY

PHONE = "+989350007788"


async def test_a_chat_without_a_number_shares_it_then_the_checked_request_is_submitted(tg, bot_api: FakeBotApi) -> None:  # type: ignore[no-untyped-def]
    citizen = Citizen(user_id=4545, language_code="en")

    async def post(update: dict) -> None:  # type: ignore[type-arg]
        assert await post_update(tg, update) == 200

    async def tap(label: str) -> None:
        menu = bot_api.menu(citizen.user_id)
        await post(citizen.press(menu, menu.button(label)["callback_data"]))

    await post(citizen.text("/start"))
    for label in ["English", "Services", "Civil registry", "Birth certificate", "Duplicate birth certificate", "Apply"]:
        await tap(label)
    await post(citizen.text("0499370899"))
    await post(citizen.text("1"))
    await tap("Confirm")
    screen, invite = bot_api.messages(citizen.user_id)[-2:]
    assert "To check your identity we need your number" in screen.text
    assert "Share my phone number" in invite.text and invite.reply_markup["keyboard"][0][0]["request_contact"] is True  # type: ignore[index]
    assert await tg.app[GATEWAY].requests.list_for_phone(PHONE) == []

    await post(citizen.contact(PHONE.removeprefix("+")))
    await tap("Continue")
    code = tracking_code(bot_api.menu(citizen.user_id).text)
    [request] = await tg.app[GATEWAY].requests.list_for_phone(PHONE)
    assert request.tracking_code == code and request.service_id == "121096101"
