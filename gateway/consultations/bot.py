"""Polls on the bots: `/polls` sends each open poll the chat's verified number is asked, its options as
buttons with callback data `poll:<poll id>:<option>`; a press answers it. A bot citizen answers with
the number Telegram verified (a shared contact), so one answer per phone holds across channels too.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from channels.telegram import OutgoingMessage, text_messages
from channels.telegram.text import right_to_left
from flows.paging import localise_digits
from flows.texts import pick, say
from gateway.consultations import texts
from gateway.consultations.service import PollService
from gateway.consultations.store import Poll
from gateway.telegram.service import Extra

NAMESPACE = "poll"
_DATA = re.compile(r"^poll:([0-9]{1,18}):([0-9])$")


def callback_data(poll_id: int, option: int) -> str:
    """A button's data: `poll:<poll id>:<option>` (at most 25 bytes, under the Bot API's 64)."""
    return f"{NAMESPACE}:{poll_id}:{option}"


def poll_message(poll: Poll, lang: str) -> OutgoingMessage:
    """The question, with one button an option."""
    rows = [[InlineKeyboardButton(right_to_left(localise_digits(f"{n}. {pick(o, lang)}", lang), lang), callback_data=callback_data(poll.id, n))]
            for n, o in enumerate(poll.options, 1)]
    return OutgoingMessage(right_to_left(pick(poll.question, lang), lang), InlineKeyboardMarkup(rows))


def bot_extras(polls: PollService) -> tuple[Extra, Extra]:
    """The `/polls` command and the `poll:` buttons, for BotService.commands and .buttons."""

    async def command(_: str, phone: str, lang: str) -> list[OutgoingMessage]:
        offered = await polls.offered(phone)
        if not offered:
            return text_messages(say(texts.NONE_OPEN, lang), lang)
        return [poll_message(poll, lang) for poll in offered]

    async def button(data: str, phone: str, lang: str) -> list[OutgoingMessage]:
        match = _DATA.match(data)
        if match is None:  # forged or garbled data: nothing is counted
            return text_messages(say(texts.NOT_FOUND, lang, id="?"), lang)
        answer = await polls.answer(int(match.group(1)), int(match.group(2)), phone=phone, channel="telegram", lang=lang)
        return text_messages(answer.text, lang)

    return command, button
