"""The bot webhook on the full app, against the fake Bot API: authentication, parsing, duplicates,
buttons, contacts and the updates a bot must survive."""

from __future__ import annotations

from typing import Any

import pytest
from fakes.bot_api import Citizen, post_update

from gateway.app import GATEWAY

ALI = Citizen(user_id=5550001)
RLM = "\u200f"


async def send(client, update: dict[str, Any] | str, **how: Any) -> int:  # type: ignore[no-untyped-def]
    return await post_update(client, update, **how)


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_sent(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    assert await send(tg, ALI.text("/start"), secret=None) == 401
    assert await send(tg, ALI.text("/start"), secret="webhook-secret_2") == 403
    assert await send(tg, ALI.text("/start"), bot="nobot") == 404
    assert bot_api.calls_of("sendMessage") == []


async def test_malformed_json_is_400(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    assert await send(tg, "{not json") == 400
    assert await send(tg, "[1, 2]") == 400
    assert await send(tg, '{"update_id": "7"}') == 400
    assert bot_api.calls_of("sendMessage") == []


async def test_start_shows_the_menu_as_buttons_and_invites_to_share_the_phone(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    assert await send(tg, ALI.text("/start")) == 200
    menu = bot_api.menu(ALI.user_id)
    assert "Language" in menu.text
    assert [b["text"] for b in menu.buttons] == [f"{RLM}فارسی", f"{RLM}English"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in menu.buttons)
    invite = bot_api.last(ALI.user_id)
    [[button]] = invite.reply_markup["keyboard"]  # type: ignore[index]
    assert button["request_contact"] is True and "شماره" in button["text"]


async def test_a_button_press_edits_the_menu_and_answers_the_callback(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    await send(tg, ALI.text("/start"))
    menu = bot_api.menu(ALI.user_id)
    sent_before = len(bot_api.calls_of("sendMessage"))
    assert await send(tg, ALI.press(menu, menu.button("English")["callback_data"])) == 200
    assert len(bot_api.calls_of("answerCallbackQuery")) == 1
    assert len(bot_api.calls_of("sendMessage")) == sent_before   # edited, not a new message
    edited = bot_api.menu(ALI.user_id)
    assert edited.message_id == menu.message_id and edited.edits == 1
    assert edited.text == "Government services"
    assert [b["text"] for b in edited.buttons][:2] == ["Services", "Track a request"]


async def test_an_old_menu_button_is_refused_politely(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    await send(tg, ALI.text("/start"))
    old = bot_api.menu(ALI.user_id)
    english = old.button("English")["callback_data"]
    await send(tg, ALI.press(old, english))
    await send(tg, ALI.text("/start"))          # a new menu: the first one is stale now
    await send(tg, ALI.press(old, english))
    answer = bot_api.calls_of("answerCallbackQuery")[-1]
    assert "out of date" in answer.params["text"]
    assert await send(tg, ALI.press(old, "forged-data")) == 200
    assert len(bot_api.calls_of("answerCallbackQuery")) == 3


async def test_free_text_answers_an_input_node(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    await send(tg, ALI.text("/start"))
    await send(tg, ALI.press(bot_api.menu(ALI.user_id), bot_api.menu(ALI.user_id).button("English")["callback_data"]))
    menu = bot_api.menu(ALI.user_id)
    await send(tg, ALI.press(menu, menu.button("Track")["callback_data"]))
    assert "Enter your tracking code" in bot_api.menu(ALI.user_id).text
    await send(tg, ALI.text("12345678902"))
    assert "No request has this tracking code" in bot_api.last(ALI.user_id).text


async def test_a_greeting_with_no_conversation_opens_the_menu(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    await send(tg, ALI.text("salam"))
    assert bot_api.last(ALI.user_id).text == f"{RLM}پیشخوان دولت\n{RLM}زبان / Language"   # no "invalid choice" either


async def test_duplicate_update_ids_are_handled_once(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    update = ALI.text("/start")
    assert await send(tg, update) == 200
    count = len(bot_api.calls_of("sendMessage"))
    assert await send(tg, update) == 200
    assert len(bot_api.calls_of("sendMessage")) == count


async def test_own_contact_is_verified_and_someone_elses_is_refused(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    gateway = tg.app[GATEWAY]
    await send(tg, ALI.contact("+989121112233", user_id=777))
    assert "Only your own number" in bot_api.last(ALI.user_id).text or "فقط شماره خودتان" in bot_api.last(ALI.user_id).text
    assert bot_api.last(ALI.user_id).reply_markup["keyboard"][0][0]["request_contact"] is True  # type: ignore[index]
    rows = await gateway.db.fetchall("SELECT * FROM telegram_contacts")
    assert rows == []
    await send(tg, ALI.contact("989121112233"))    # Telegram sends the number without its plus
    [row] = await gateway.db.fetchall("SELECT * FROM telegram_contacts")
    assert (row["user_id"], row["chat_id"], row["phone"]) == (ALI.user_id, ALI.user_id, "+989121112233")
    texts = [m.text for m in bot_api.messages(ALI.user_id)]
    assert any("\u2066+989121112233\u2069" in t and "تایید شد" in t for t in texts)
    assert "درخواستی با این شماره ثبت نشده است" in texts[-1]


@pytest.mark.parametrize("make", [ALI.sticker, ALI.photo])
async def test_stickers_and_photos_get_a_polite_answer(tg, bot_api, make) -> None:  # type: ignore[no-untyped-def]
    assert await send(tg, make()) == 200
    assert "/start" in bot_api.last(ALI.user_id).text


async def test_edits_group_messages_and_unknown_updates_are_ignored(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    assert await send(tg, ALI.edited("1")) == 200
    assert await send(tg, ALI.in_group("/start")) == 200
    # a poll PTB 22 cannot read (no allows_revoting): 200, not a retry loop
    poll = {"id": "1", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
            "type": "regular", "allows_multiple_answers": False}
    assert await send(tg, {"update_id": 99, "poll": poll}) == 200
    assert bot_api.calls_of("sendMessage") == []


async def test_a_command_for_another_bot_is_ignored_and_an_unknown_one_explained(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    await send(tg, ALI.text("/start@other_bot"))
    assert bot_api.calls_of("sendMessage") == []
    await send(tg, ALI.text("/frobnicate"))
    assert "/myrequests" in bot_api.last(ALI.user_id).text


async def test_blocking_marks_the_chat_unreachable_and_unblocking_clears_it(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    contacts = tg.app[GATEWAY].dispatcher.senders["telegram"].contacts
    address = f"telegram:main:{ALI.user_id}"
    await send(tg, ALI.blocks_bot())
    assert await contacts.is_unreachable(address)
    await send(tg, ALI.blocks_bot(blocked=False))
    assert not await contacts.is_unreachable(address)
