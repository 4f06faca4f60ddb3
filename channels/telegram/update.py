"""A Bot API Update as one of the few things a citizen can do in a private chat with the bot.

Everything else (groups, channels, edits, inline queries, polls) is `IGNORED`: never an error.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from telegram import Chat, ChatMember, Update

from channels.inbound import Inbound
from channels.telegram import wire
from flows.errors import ChannelError

MAX_TEXT = 4096
_ADDRESS = re.compile(r"^telegram:([a-z0-9_-]{1,32}):(-?[0-9]{1,20})$")
_INCOMING = frozenset({"message_id", "date", "chat", "from", "text", "entities", "contact"})
"""The fields of a private text, command or contact message that `read_plain` reads itself."""
_CONTACT = frozenset({"phone_number", "first_name", "last_name", "user_id", "vcard"})
_QUERY = frozenset({"id", "from", "message", "chat_instance", "data"})
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.S)


class Kind(enum.Enum):
    """What the update asks of us."""

    TEXT = "text"
    COMMAND = "command"
    CALLBACK = "callback"
    CONTACT = "contact"
    UNSUPPORTED = "unsupported"
    """A private message we cannot read (sticker, photo, voice, location...): answered politely."""
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    IGNORED = "ignored"


@dataclass(frozen=True)
class BotUpdate:
    """The parts of an Update the gateway acts on."""

    kind: Kind
    update_id: int
    chat_id: int | None = None
    user_id: int | None = None
    text: str = ""
    """The message text, the command name (lower case, no slash) or the callback data."""
    args: str = ""
    """What follows a command (a deep-link payload after /start)."""
    callback_id: str | None = None
    message_id: int | None = None
    """The message whose button was pressed."""
    contact_phone: str | None = None
    contact_user_id: int | None = None
    language_code: str | None = None


class _Sender(TypedDict):
    """The fields every kind of private message fills the same way."""

    update_id: int
    chat_id: int
    user_id: int
    language_code: str | None


def bot_address(bot: str, chat_id: int) -> str:
    """`telegram:<bot>:<chat id>`: where replies and notifications for this chat go."""
    return f"telegram:{bot}:{chat_id}"


def parse_address(address: str) -> tuple[str, int]:
    """(bot name, chat id) of a bot address; ChannelError when it is not one."""
    match = _ADDRESS.match(address)
    if match is None:
        raise ChannelError(f"not a bot address: {address[:60]!r} (expected telegram:<bot>:<chat id>)")
    return match.group(1), int(match.group(2))


def _member_change(update: Update) -> BotUpdate:
    change = update.my_chat_member
    assert change is not None
    if change.chat is None or change.from_user is None or change.new_chat_member is None or change.chat.type != Chat.PRIVATE:
        return BotUpdate(Kind.IGNORED, update.update_id)
    status = change.new_chat_member.status
    kind = Kind.BLOCKED if status in (ChatMember.BANNED, ChatMember.LEFT) else Kind.UNBLOCKED
    return BotUpdate(kind, update.update_id, chat_id=change.chat.id, user_id=change.from_user.id)


def _callback(update: Update) -> BotUpdate:
    query = update.callback_query
    assert query is not None
    if query.from_user is None:
        return BotUpdate(Kind.IGNORED, update.update_id)
    message = query.message
    private = message is not None and message.chat is not None and message.chat.type == Chat.PRIVATE
    return BotUpdate(
        Kind.CALLBACK, update.update_id,
        chat_id=message.chat.id if private and message else None, user_id=query.from_user.id,
        text=(query.data or "")[:64], callback_id=query.id,
        message_id=message.message_id if private and message else None,
        language_code=query.from_user.language_code,
    )


def _message_event(update_id: int, chat_id: int, user_id: int, language_code: str | None, text: str | None,
                   contact: tuple[str, int | None] | None, bot_username: str | None) -> BotUpdate:
    """What a private message from a person is: a contact, something without text, a command or a text."""
    base: _Sender = {"update_id": update_id, "chat_id": chat_id, "user_id": user_id, "language_code": language_code}
    if contact is not None:
        return BotUpdate(Kind.CONTACT, contact_phone=contact[0], contact_user_id=contact[1], **base)
    if text is None:
        return BotUpdate(Kind.UNSUPPORTED, **base)
    command = _COMMAND.match(text.strip())
    if command:
        addressed_to = command.group(2)
        if addressed_to and bot_username and addressed_to.lower() != bot_username.lower():
            return BotUpdate(Kind.IGNORED, update_id)
        return BotUpdate(Kind.COMMAND, text=command.group(1).lower(), args=(command.group(3) or "").strip()[:64], **base)
    return BotUpdate(Kind.TEXT, text=text[:MAX_TEXT], **base)


def read_update(update: Update, bot_username: str | None) -> BotUpdate:
    """Classify an update; `bot_username` tells `/cmd@OtherBot` (ignored) from `/cmd@ThisBot`.
    python-telegram-bot builds objects even when fields the Bot API always sends are missing (a
    forged or truncated update): such an update is ignored, never a crash in the background."""
    if update.callback_query is not None:
        return _callback(update)
    if update.my_chat_member is not None:
        return _member_change(update)
    message = update.message
    if message is None or message.chat is None or message.chat.type != Chat.PRIVATE or message.from_user is None or message.from_user.is_bot:
        return BotUpdate(Kind.IGNORED, update.update_id)
    contact = (message.contact.phone_number, message.contact.user_id) if message.contact is not None else None
    return _message_event(update.update_id, message.chat.id, message.from_user.id, message.from_user.language_code, message.text,
                          contact, bot_username)


def read_plain(data: Mapping[str, Any], bot_username: str | None) -> BotUpdate | None:
    """`read_update` of the raw update without python-telegram-bot building it (`Update.de_json`, about
    950k instructions for a text message) when it is of the plain shapes every turn brings: a message
    or a button press in a private chat made only of the fields checked here. None: any other shape,
    for python-telegram-bot to read (or refuse) as before."""
    keys = data.keys()
    if keys == {"update_id", "message"}:
        message = data["message"]
        if not wire.plain_message(message, _INCOMING) or not isinstance(message.get("text", ""), str):
            return None
        contact = message.get("contact")
        if contact is not None and not (wire.has(contact, "phone_number", "first_name") and contact.keys() <= _CONTACT):
            return None
        sender = message.get("from")
        if message["chat"]["type"] != Chat.PRIVATE or sender is None or sender["is_bot"]:
            return BotUpdate(Kind.IGNORED, data["update_id"])
        return _message_event(data["update_id"], message["chat"]["id"], sender["id"], sender.get("language_code"), message.get("text"),
                              (contact["phone_number"], contact.get("user_id")) if contact is not None else None, bot_username)
    if keys == {"update_id", "callback_query"}:
        query = data["callback_query"]
        if not (wire.has(query, "id", "from", "chat_instance") and query.keys() <= _QUERY and wire.has(query["from"], *wire.USER)
                and isinstance(query.get("data", ""), str)):
            return None
        message = query.get("message")
        if message is not None and not wire.plain_message(message):
            return None
        private = message is not None and message["chat"]["type"] == Chat.PRIVATE
        return BotUpdate(
            Kind.CALLBACK, data["update_id"],
            chat_id=message["chat"]["id"] if private else None, user_id=query["from"]["id"],
            text=(query.get("data") or "")[:64], callback_id=query["id"],
            message_id=message["message_id"] if private else None, language_code=query["from"].get("language_code"),
        )
    return None


def to_inbound(bot: str, event: BotUpdate, text: str, *, phone: str | None, new_session: bool = False) -> Inbound:
    """The Inbound for a turn of this chat (`text` may differ from the message: a pressed button's key)."""
    if event.chat_id is None:
        raise ChannelError("this update belongs to no private chat")
    return Inbound(
        channel="telegram", address=bot_address(bot, event.chat_id), text=text, provider=bot,
        message_id=str(event.update_id), phone=phone, new_session=new_session,
    )
