"""Paced Bot API calls for one bot, with 429 handling in one place.

`wait_limit` says how long a caller may wait out a 429: a live reply waits (the citizen is looking
at the chat), the outbox sender does not (it hands `retry_after` to the dispatcher, which reschedules).

A Bot API that says `ok` with a result python-telegram-bot cannot read (outside the Bot API's
contract, as third-party emulators were seen to answer: a message `date` in milliseconds, an edit
answering `result: null`) costs that one call's answer, never the rest of the turn: the call went
through, so it counts as done, without the message it should have returned.
"""

from __future__ import annotations

import datetime
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

from channels.telegram.reply import OutgoingMessage
from channels.telegram.wire import markup_json
from channels.telegram.wire import message_id as read_id
from gateway.telegram.pacing import Pacer

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TRIES = 3


def redacted(text: str, token: str) -> str:
    """An error text safe for logs: PTB and the HTTP client put the token (part of every Bot API URL) in some messages."""
    return text.replace(token, "<token>") if token else text


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds (PTB 22 gives an int or a timedelta depending on PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)


class CallingBot(ExtBot[None]):
    """python-telegram-bot's bot with a call that returns the Bot API's result as sent: a turn's
    sends and edits read their message's id from it (channels.telegram.wire) rather than have PTB
    build the whole Message. Parameters, errors and retries are PTB's as for its own methods."""

    async def call(self, endpoint: str, params: dict[str, object]) -> Any:
        """`endpoint`'s result (parameters that are None are left out, as PTB's methods do)."""
        return await self._post(endpoint, params)


class BotClient:
    """Sends, edits and answers through one bot, paced."""

    def __init__(self, name: str, bot: CallingBot, pacer: Pacer) -> None:
        self.name = name
        self.bot = bot
        self.pacer = pacer

    async def _call(self, method: str, chat_id: int | None, call: Callable[[], Awaitable[T]], wait_limit: float) -> T | None:
        """The call's result; None when the Bot API said ok but python-telegram-bot could not read the result."""
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
            except TelegramError:
                raise
            except Exception as error:  # the Bot API reported no error: python-telegram-bot could not read its answer
                log.warning("bot %s: %s answered outside the Bot API's contract (%s: %s); carrying on without its result",
                            self.name, method, type(error).__name__, redacted(str(error)[:200], self.bot.token))
                return None
        raise AssertionError("unreachable")

    async def send(self, chat_id: int, message: OutgoingMessage, *, wait_limit: float) -> int | None:
        """Send one message; its id, or None when the Bot API's answer could not be read (it said ok:
        the message is in the chat)."""
        async def send() -> int:
            return read_id(await self.bot.call("sendMessage", {"chat_id": chat_id, "text": message.text,
                                                                "reply_markup": markup_json(message.markup)}),
                              self.bot)
        return await self._call("sendMessage", chat_id, send, wait_limit)

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage, *, wait_limit: float) -> bool:
        """Replace a menu message in place; False when it cannot be edited any more (deleted, too old),
        or the answer could not be read: a menu sent anew carries the same buttons, while one the
        citizen may not see would leave them pressing an outdated menu."""
        markup = message.markup if isinstance(message.markup, InlineKeyboardMarkup) else None  # the only kind an edit takes
        async def edit() -> bool:
            result = await self.bot.call("editMessageText", {"text": message.text, "chat_id": chat_id, "message_id": message_id,
                                                             "reply_markup": markup_json(markup)})
            if result is not True:  # an inline message's edit answers True; a chat message's edit, the message
                read_id(result, self.bot)  # raises when it cannot be read: the citizen may not see the menu
            return True
        try:
            edited = await self._call("editMessageText", chat_id, edit, wait_limit)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True  # a double tap: the screen is already what it should be
            log.info("bot %s: could not edit a menu (%s); sending a new one", self.name, redacted(str(error), self.bot.token))
            return False
        return edited is not None

    async def answer(self, callback_id: str, text: str | None = None, *, wait_limit: float) -> None:
        """Stop the button's spinner (every callback query must be answered), optionally with a toast."""
        await self._call("answerCallbackQuery", None, lambda: self.bot.call("answerCallbackQuery", {"callback_query_id": callback_id, "text": text}),
                         wait_limit)
