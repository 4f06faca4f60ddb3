"""Updates read by hand (`read_plain`) are classified exactly as python-telegram-bot's reading of them
(`read_update(Update.de_json(...))`), and any shape the hand reader does not know is left to it."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from fakes.bot_api import ChatMessage, Citizen
from telegram import Update

from channels.telegram import Kind, read_update
from channels.telegram.update import read_plain

ALI = Citizen(user_id=5550001)
BOT = "pishkhan_bot"
MENU = ChatMessage(77, "menu")
TURNS = {
    "text": ALI.text("سلام"),
    "command": ALI.text("/start campaign42"),
    "command for this bot": ALI.text("/start@Pishkhan_Bot x"),
    "command for another bot": ALI.text("/start@other_bot"),
    "own contact": ALI.contact("989121234567"),
    "someone else's contact": ALI.contact("989121234567", user_id=9),
    "press": ALI.press(MENU, "0a1b2c3d.1"),
    "sticker": ALI.sticker(),
    "in a group": ALI.in_group("/start"),
}


def _with(update: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


@pytest.mark.parametrize("name", TURNS)
def test_a_turn_is_read_as_python_telegram_bot_reads_it(name: str) -> None:
    update = TURNS[name]
    expected = read_update(Update.de_json(copy.deepcopy(update), None), BOT)
    plain = read_plain(update, BOT)
    assert plain is None or plain == expected
    if name != "sticker":  # a message with a sticker is PTB's to read
        assert plain == expected


@pytest.mark.parametrize("update", [
    _with(TURNS["text"], ("message", "date"), int(time.time() * 1000)),          # a date in milliseconds
    _with(TURNS["text"], ("message", "chat"), None),                             # no chat
    _with(TURNS["text"], ("message", "from", "first_name"), None),               # a user without a name
    _with(TURNS["text"], ("message", "text"), 5),                                # a text that is not a string
    _with(TURNS["press"], ("callback_query", "chat_instance"), None),            # no chat_instance
    _with(TURNS["text"], ("message", "reply_to_message"), {"message_id": 1}),   # something not read by hand
    _with(TURNS["text"], ("edited_message",), {"message_id": 1}),               # another kind beside it
    ALI.edited("1"),
    ALI.blocks_bot(),
])
def test_anything_else_is_left_to_python_telegram_bot(update: dict[str, Any]) -> None:
    assert read_plain(update, BOT) is None


def test_a_press_under_a_message_the_bot_cannot_place_has_no_chat() -> None:
    press = _with(TURNS["press"], ("callback_query", "message"), None)
    assert read_plain(press, BOT) == read_update(Update.de_json(copy.deepcopy(press), None), BOT)
    assert read_plain(press, BOT).chat_id is None and read_plain(press, BOT).kind is Kind.CALLBACK  # type: ignore[union-attr]
