"""Privacy on the bots: `/privacy` shows the whole statement to anyone; `/mydata` lists what is kept about the
chat's verified number (asking for it first); the help menu's privacy screens work on buttons as on USSD."""

from __future__ import annotations

from fakes.bot_api import Citizen
from test_telegram_journey import Chat
from ussd_citizen import PHONE, apply_by_ussd


async def test_privacy_and_mydata_on_the_bot(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(tg, bot_api, Citizen(user_id=5151, language_code="en"))
    statement = await chat.say("/privacy")
    assert statement.startswith("Pishkhan privacy statement") and "erased 365 days after it ends" in statement
    assert "Share my phone number" in await chat.say("/mydata")   # not before the number is verified

    code = await apply_by_ussd(tg, phone=PHONE)
    await chat.post(chat.citizen.contact(PHONE.removeprefix("+")))
    kept = await chat.say("/mydata")
    assert kept.startswith("Kept for this number: 1 requests with 2 personal answers, 1 payments")
    assert f"• {code} " in kept and ": submitted, 2 personal answers" in kept and "1 bot chats are linked" in kept

    await chat.say("/start")
    await chat.tap("English")
    await chat.tap("Help")
    await chat.tap("Privacy")
    labels = [button["text"] for button in bot_api.menu(5151).buttons]
    assert {"Privacy statement", "What you keep about me", "Erase my details"} <= set(labels), labels
    shown = await chat.tap("Erase my details")
    assert "This number has no finished request with personal details. 1 requests are still open" in shown
