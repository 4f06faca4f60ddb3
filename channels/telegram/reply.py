"""A Reply as bot messages: the body as text, choices as inline buttons (one per row, navigation last)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from channels.telegram.callback import RESTART, encode_callback
from channels.telegram.text import TELEGRAM_LIMIT, right_to_left, split_for
from flows.paging import localise_digits
from flows.reply import Reply

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

EMPTY_BODY = "…"
"""The Bot API refuses an empty message; a menu with no heading still needs a line of text."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to send: its text and the keyboard under it, if any."""

    text: str
    markup: Markup | None = None


def _label(text: str, lang: str) -> str:
    return right_to_left(localise_digits(text, lang), lang)


def menu_keyboard(reply: Reply, token: str, restart_label: str | None) -> InlineKeyboardMarkup | None:
    """Inline buttons for the reply's choices; a finished conversation gets one button to start again."""
    if reply.end:
        if restart_label is None:
            return None
        return InlineKeyboardMarkup([[InlineKeyboardButton(_label(restart_label, reply.lang), callback_data=RESTART)]])
    rows = [[InlineKeyboardButton(_label(c.label, reply.lang), callback_data=encode_callback(token, c.key))] for c in reply.options]
    nav = [InlineKeyboardButton(_label(c.label, reply.lang), callback_data=encode_callback(token, c.key)) for c in reply.navigation]
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows) if rows else None


def text_messages(text: str, lang: str, markup: Markup | None = None, limit: int = TELEGRAM_LIMIT) -> list[OutgoingMessage]:
    """`text` in as many messages as it needs, direction-marked; the keyboard goes under the last one."""
    parts = split_for(text or EMPTY_BODY, lang, limit)
    return [OutgoingMessage(part, markup if i == len(parts) - 1 else None) for i, part in enumerate(parts)]


def render_reply(reply: Reply, token: str, restart_label: str | None = None, limit: int = TELEGRAM_LIMIT) -> list[OutgoingMessage]:
    """The messages showing one screen (a bot has no page limit, but a message has 4096 characters)."""
    return text_messages(localise_digits(reply.body, reply.lang), reply.lang, menu_keyboard(reply, token, restart_label), limit)


def notification_messages(text: str, lang: str, url: str | None = None, url_label: str | None = None,
                          buttons: Sequence[Sequence[Sequence[str]]] = ()) -> list[OutgoingMessage]:
    """An outbox notification; a `url` (a payment link) becomes a button under it, and `buttons`, rows
    of (label, callback data), inline buttons (a rating's 1 to 5: `csat:<survey id>:<rating>`)."""
    rows = [[InlineKeyboardButton(_label(label, lang), callback_data=data) for label, data in row] for row in buttons]
    if url:
        rows.append([InlineKeyboardButton(_label(url_label or url, lang), url=url)])
    return text_messages(text, lang, InlineKeyboardMarkup(rows) if rows else None)


def contact_keyboard(share_label: str, lang: str) -> ReplyKeyboardMarkup:
    """The one-tap "share my phone number" keyboard (Telegram sends the account's own verified number)."""
    button = KeyboardButton(_label(share_label, lang), request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


def persistent_keyboard(label: str, lang: str) -> ReplyKeyboardMarkup:
    """A keyboard that stays under the chat with one bot-only entry (e.g. "My requests")."""
    return ReplyKeyboardMarkup([[KeyboardButton(_label(label, lang))]], resize_keyboard=True, is_persistent=True)


def remove_keyboard() -> ReplyKeyboardRemove:
    """Take a reply keyboard away."""
    return ReplyKeyboardRemove()
