"""A rating by SMS: `4`, or `4 the staff were kind`, from a number that was asked.

Looked at before the conversation (gateway.sms.service's `pending`), and only for texts of that
shape (one or two digits, then a comment if any), so every other text costs nothing here. A number
with no survey remembered (gateway.feedback.survey) goes to the conversation as before; so does a
text the citizen's current screen takes (a `4` on a menu of five options, any text on a question),
as with the numeric keywords: the survey waits for them. A number out of 1-5 while a survey is open
gets a short help reply.
"""

from __future__ import annotations

import re

from channels.inbound import Inbound
from flows.model import InputNode, MenuNode, Node
from flows.normalise import normalise_input
from flows.texts import say
from gateway.feedback import texts
from gateway.feedback.store import RATINGS
from gateway.feedback.survey import Outcome, Rated, Surveys
from gateway.sms.service import SmsReply

_ANSWER = re.compile(r"([0-9]{1,2})(?![0-9])[\s.,،:)\-]*(.*)", re.S)


def read_answer(text: str) -> tuple[int, str | None] | None:
    """(number, comment or None) of a text shaped like a rating; None for any other text."""
    found = _ANSWER.fullmatch(normalise_input(text))
    if found is None:
        return None
    return int(found.group(1)), found.group(2).strip() or None


def screen_takes(screen: Node | None, number: int, comment: str | None) -> bool:
    """Whether the screen the citizen is on takes this text as its answer (so it is not a rating)."""
    if isinstance(screen, InputNode):
        return True
    return isinstance(screen, MenuNode) and comment is None and number <= len(screen.options)


class SmsRatings:
    """Takes ratings out of incoming texts."""

    def __init__(self, surveys: Surveys) -> None:
        self.surveys = surveys

    async def answer(self, inbound: Inbound, screen: Node | None) -> SmsReply | None:
        """The reply to a text that answers this number's survey; None for a text that is not one."""
        read = read_answer(inbound.text)
        if read is None or screen_takes(screen, *read):
            return None
        number, comment = read
        remembered = await self.surveys.remembered(inbound.address)
        survey = next((s for s in remembered if self.surveys.is_open(s)), None)
        if survey is not None and number not in RATINGS:
            return SmsReply(say(texts.OUT_OF_RANGE, survey.lang), survey.lang)
        if survey is not None:
            rated = await self.surveys.rate(survey, number, comment)
        elif remembered and number in RATINGS:  # late, or a second answer: a clear word, and nothing changes
            latest = remembered[0]
            rated = Rated(Outcome.ALREADY if latest.rating is not None else Outcome.CLOSED, latest)
        else:
            return None
        return SmsReply(rated.reply(comment is not None), rated.survey.lang)
