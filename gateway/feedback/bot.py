"""A rating on a bot: the buttons 1-5 under the question (`csat:<survey id>:<rating>`), then an
optional comment: the chat's next text within `feedback.comment_window` is taken as it.

A press that records the rating turns the question into the thanks and the invitation to comment, its
buttons gone (sent as a new message when the question cannot be edited any more); a press that changes nothing is answered
with a short notice on the button itself: the survey was answered already (the first answer stands)
or has closed. A press on another chat's survey (forged data) only stops the button's spinner.
"""

from __future__ import annotations

from channels.telegram import BotUpdate, text_messages
from flows.texts import say
from gateway.feedback import texts
from gateway.feedback.store import RATINGS
from gateway.feedback.survey import MAX_COMMENT, Outcome, Surveys
from gateway.state import StateStore
from gateway.telegram.client import BotClient


def comment_key(address: str) -> str:
    """Where the survey awaiting a chat's comment is kept (for `feedback.comment_window` seconds)."""
    return f"csat:comment:{address}"


class BotRatings:
    """The rating buttons and the comment that may follow."""

    def __init__(self, surveys: Surveys, state: StateStore, *, wait_limit: float) -> None:
        self.surveys = surveys
        self.state = state
        self.wait_limit = wait_limit

    async def button(self, bot: BotClient, event: BotUpdate, address: str, numbers: tuple[int, ...]) -> None:
        """A press of `csat:<survey id>:<rating>` in the chat at `address`."""
        assert event.callback_id is not None and event.chat_id is not None
        survey = await self.surveys.store.get(numbers[0]) if len(numbers) == 2 and numbers[1] in RATINGS else None
        if survey is None or survey.address != address:
            await bot.answer(event.callback_id, wait_limit=self.wait_limit)
            return
        rated = await self.surveys.rate(survey, numbers[1], None)
        if rated.outcome is not Outcome.RECORDED:
            await bot.answer(event.callback_id, rated.reply(comment=False), wait_limit=self.wait_limit)
            return
        await bot.answer(event.callback_id, wait_limit=self.wait_limit)
        await self.state.set(comment_key(address), {"survey": survey.id}, self.surveys.settings.comment_window)
        lang = survey.lang
        thanks = text_messages(f"{say(texts.RATED, lang, rating=str(numbers[1]))}\n{say(texts.COMMENT_PROMPT, lang)}", lang)
        if event.message_id is not None and await bot.edit(event.chat_id, event.message_id, thanks[0], wait_limit=self.wait_limit):
            thanks = thanks[1:]
        for message in thanks:
            await bot.send(event.chat_id, message, wait_limit=self.wait_limit)

    async def comment(self, bot: BotClient, event: BotUpdate, address: str) -> bool:
        """Take the chat's text as the comment of the rating it just gave; False when none awaits one."""
        assert event.chat_id is not None
        waiting = await self.state.get(comment_key(address))
        if waiting is None:
            return False
        await self.state.delete(comment_key(address))
        survey = await self.surveys.store.get(int(waiting["survey"]))
        if survey is None or not await self.surveys.store.add_comment(survey.id, event.text.strip()[:MAX_COMMENT]):
            return False
        for message in text_messages(say(texts.COMMENT_SAVED, survey.lang), survey.lang):
            await bot.send(event.chat_id, message, wait_limit=self.wait_limit)
        return True
