"""Paced Bot API calls for one bot, with 429 handling in one place.

`wait_limit` says how long a caller may wait out a 429: a live reply waits (the citizen is looking
at the chat), the outbox sender does not (it hands `retry_after` to the dispatcher, which reschedules).
"""

from __future__ import annotations

import datetime
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from channels.telegram.reply import OutgoingMessage
from gateway.telegram.pacing import Pacer

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TRIES = 3


def redacted(text: str, token: str) -> str:
    """An error text safe for logs: PTB and httpx put the token (part of every Bot API URL) in some messages."""
    return text.replace(token, "<token>") if token else text


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds (PTB 22 gives an int or a timedelta depending on PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)


class BotClient:
    """Sends, edits and answers through one bot, paced."""

    def __init__(self, name: str, bot: Bot, pacer: Pacer) -> None:
        self.name = name
        self.bot = bot
        self.pacer = pacer

    async def _call(self, chat_id: int | None, call: Callable[[], Awaitable[T]], wait_limit: float) -> T:
        for attempt in range(1, MAX_TRIES + 1):
            await self.pacer.wait(chat_id)
            try:
                return await call()
            except RetryAfter as error:
                seconds = retry_seconds(error)
                await self.pacer.hold(seconds)
                if seconds > wait_limit or attempt == MAX_TRIES:
                    raise
                log.warning("bot %s: flood control, waiting %.0fs", self.name, seconds)
        raise AssertionError("unreachable")

    async def send(self, chat_id: int, message: OutgoingMessage, *, wait_limit: float) -> Message:
        """Send one message."""
        return await self._call(
            chat_id, lambda: self.bot.send_message(chat_id, message.text, reply_markup=message.markup), wait_limit
        )

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage, *, wait_limit: float) -> bool:
        """Replace a menu message in place; False when it cannot be edited any more (deleted, too old)."""
        markup = message.markup if isinstance(message.markup, InlineKeyboardMarkup) else None  # the only kind an edit takes
        try:
            await self._call(
                chat_id,
                lambda: self.bot.edit_message_text(message.text, chat_id=chat_id, message_id=message_id, reply_markup=markup),
                wait_limit,
            )
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True  # a double tap: the screen is already what it should be
            log.info("bot %s: could not edit a menu (%s); sending a new one", self.name, redacted(str(error), self.bot.token))
            return False
        return True

    async def answer(self, callback_id: str, text: str | None = None, *, wait_limit: float) -> None:
        """Stop the button's spinner (every callback query must be answered), optionally with a toast."""
        await self._call(None, lambda: self.bot.answer_callback_query(callback_id, text=text), wait_limit)
