"""What the bot sends and reads on the wire by hand (gateway.telegram.request, channels.telegram.wire)
arrives and is understood as python-telegram-bot's own objects were: texts with every character a
form treats specially, and answers of shapes the hand reader leaves to python-telegram-bot."""

from __future__ import annotations

from typing import Any

from fakes.bot_api import Citizen, post_update
from waiting import eventually

from gateway.app import GATEWAY

ALI = 7002
AWKWARD = "a+b & c=d %41 /e?f#g;h\n\u200fکد ۱۲۳ 😀 \\\"quoted\\\" <b>"


def with_photo(message: dict[str, Any]) -> dict[str, Any]:
    """A sent message carrying what the hand reader does not know (a photo, link preview options)."""
    return {**message, "link_preview_options": {"is_disabled": True}, "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]}


async def test_a_text_with_form_characters_reaches_the_chat_as_written(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    message_id = await tg.app[GATEWAY].outbox.enqueue("telegram", f"telegram:main:{ALI}", AWKWARD, meta={"lang": "en"})

    async def delivered() -> list[str] | None:
        tg.app[GATEWAY].outbox.wake.set()
        texts = [m.text for m in bot_api.messages(ALI)]
        return texts or None

    assert await eventually(delivered, what=f"outbox message {message_id} never reached the chat") == [AWKWARD]


async def test_a_sent_menu_whose_answer_has_more_than_the_hand_reader_knows_is_still_edited_in_place(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    ali = Citizen(ALI, language_code="en")
    bot_api.garble("sendMessage", with_photo, times=10)
    assert await post_update(tg, ali.text("/start")) == 200
    menu = bot_api.menu(ALI)
    await post_update(tg, ali.press(menu, menu.button("English")["callback_data"]))
    edited = bot_api.menu(ALI)
    assert edited.message_id == menu.message_id and edited.edits == 1 and "Government services" in edited.text
