"""The `poll` SMS keyword (sms.keywords.poll: `POLL`, `نظر`): `POLL` alone shows the first open poll
the number is asked, `POLL <consultation>` shows that one, `POLL <consultation> <option>` answers.

One poll at a time, so the reply stays within two SMS parts whatever the number of polls open: a poll's
screen fits a USSD page (80 UCS-2 characters), and the header and the how-to-answer line add little.
"""

from __future__ import annotations

import re

from channels.inbound import Inbound
from flows.texts import say
from gateway.consultations import texts
from gateway.consultations.service import PollService
from gateway.sms.service import KeywordAnswer

_NUMBER = re.compile(r"[0-9]+")


def sms_answers(polls: PollService) -> KeywordAnswer:
    """The answer to a `poll` keyword, for SmsService.keyword_answers."""

    async def answer(inbound: Inbound, argument: str, lang: str) -> str:
        numbers = [int(n) for n in _NUMBER.findall(argument)[:2]]
        if inbound.phone is None:
            return say(texts.NO_PHONE, lang)
        if len(numbers) == 2:
            return (await polls.answer(numbers[0], numbers[1], phone=inbound.phone, channel="sms", lang=lang)).text
        offered = await polls.offered(inbound.phone)
        if numbers:
            offered = [p for p in offered if p.id == numbers[0]]
            if not offered:
                return say(texts.NOT_FOUND, lang, id=numbers[0])
        if not offered:
            return say(texts.NONE_OPEN, lang)
        poll = offered[0]
        return say(texts.SMS_POLL, lang, id=poll.id, screen=polls.screen(poll, lang))

    return answer
