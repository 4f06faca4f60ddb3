"""The Bot API's JSON read and written by hand where python-telegram-bot's objects cost the most on every turn.

A sent or edited message comes back whole, and PTB's `Message.de_json` sets some 170 attributes
(about 750k instructions, callgrind) to give us the one we use, `message_id`. So an answer of the
plain shape the Bot API gives our calls is read here; anything else goes to PTB as before, so what
PTB cannot read still fails the same way (gateway.telegram.client: the call counts as done without
its result). "Plain" is decided by what PTB would build from it: only the keys below, each nested
object with the fields PTB requires, dates a `datetime` can hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)

MAX_DATE = 253_402_300_799
"""9999-12-31 23:59:59 UTC: PTB turns dates into datetimes, which end there."""
_MESSAGE = frozenset({"message_id", "date", "chat", "from", "text", "entities", "reply_markup", "edit_date"})
_ENTITY = frozenset({"type", "offset", "length", "url", "language", "custom_emoji_id"})
USER = ("id", "is_bot", "first_name")
"""The fields of a User python-telegram-bot requires."""
_BUTTON = frozenset({"text", "url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat", "pay"})
"""Inline button fields holding no object of their own (a `web_app` or `login_url` would need its fields checked)."""


def _date(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_DATE


def has(value: object, *fields: str) -> bool:
    return isinstance(value, Mapping) and all(field in value for field in fields)


def _entities(value: object) -> bool:
    return isinstance(value, list) and all(has(e, "type", "offset", "length") and e.keys() <= _ENTITY for e in value)


def _inline_keyboard(value: object) -> bool:
    if not isinstance(value, Mapping) or value.keys() != {"inline_keyboard"} or not isinstance(value["inline_keyboard"], list):
        return False
    return all(isinstance(row, list) and all(has(b, "text") and b.keys() <= _BUTTON for b in row) for row in value["inline_keyboard"])


def plain_message(result: Any, keys: frozenset[str] = _MESSAGE) -> bool:
    """Whether `result` is a message PTB would read without fail, made only of `keys` and checked here
    (a `contact` among them is the caller's to check)."""
    if not (has(result, "message_id", "date", "chat") and isinstance(result, dict) and result.keys() <= keys):
        return False
    return (type(result["message_id"]) is int and _date(result["date"]) and has(result["chat"], "id", "type")
            and ("from" not in result or has(result["from"], *USER))
            and ("entities" not in result or _entities(result["entities"]))
            and ("reply_markup" not in result or _inline_keyboard(result["reply_markup"]))
            and ("edit_date" not in result or _date(result["edit_date"])))


def message_id(result: Any, bot: Bot) -> int:
    """The id of the message a sendMessage or editMessageText answered with; an answer of another
    shape is PTB's to read, raising what PTB raises when it cannot."""
    if plain_message(result):
        return result["message_id"]
    return Message.de_json(result, bot).message_id


_PLAIN_VALUES = (str, bool, int)


def _fields(obj: TelegramObject) -> dict[str, object] | None:
    """`obj`'s set fields when each is a plain value (None: one holds an object of its own, e.g. a
    `web_app`, or extra `api_kwargs`, which PTB's `to_dict` knows how to write)."""
    if obj.api_kwargs:
        return None
    fields: dict[str, object] = {}
    for name in type(obj).__slots__:
        value = getattr(obj, name)
        if value is None or name in ("keyboard", "inline_keyboard"):
            continue
        if type(value) not in _PLAIN_VALUES:
            return None
        fields[name] = value
    return fields


def _rows(rows: Sequence[Sequence[TelegramObject]], button: type) -> list[list[dict[str, object]]] | None:
    written = []
    for row in rows:
        line = []
        for item in row:
            fields = _fields(item) if type(item) is button else None
            if fields is None:
                return None
            line.append(fields)
        written.append(line)
    return written


def markup_json(markup: TelegramObject | None) -> str | None:
    """A keyboard as the `reply_markup` parameter: the same JSON as PTB's `to_json`, written from the
    few fields our keyboards set rather than by PTB's walk over every attribute of every button
    (about 550k instructions for a menu of six buttons); any other keyboard is PTB's to write."""
    if markup is None:
        return None
    kind = type(markup)
    fields = _fields(markup) if kind in (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove) else None
    if isinstance(markup, InlineKeyboardMarkup) and fields is not None:
        rows = _rows(markup.inline_keyboard, InlineKeyboardButton)
        fields = None if rows is None else {"inline_keyboard": rows}
    elif isinstance(markup, ReplyKeyboardMarkup) and fields is not None:
        rows = _rows(markup.keyboard, KeyboardButton)
        fields = None if rows is None else {"keyboard": rows, **fields}
    if fields is None:
        return markup.to_json()
    return orjson.dumps(fields).decode()
