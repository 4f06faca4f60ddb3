"""Consultations with the people: operators open and close polls, citizens answer on any channel.

One answer per phone number and poll, whatever the channel: a second answer (the same channel or
another) is refused politely and the first one stands; an answer is never replaced, so a result
cannot move after a citizen was thanked for it. A poll that is not open yet, or closed (by its date
or by an operator), is answered politely and counts nothing. A citizen outside a poll's audience is
never offered it, and a keyword naming it is answered as for a poll that does not exist.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from flows.clock import SYSTEM_CLOCK, Clock
from flows.masking import masked
from flows.texts import LocalisedText, say
from gateway.audit import AuditLog
from gateway.catalogue import Catalogue
from gateway.consultations import texts
from gateway.consultations.store import NewPoll, Poll, PollStore, counts
from gateway.store import Transaction

log = logging.getLogger(__name__)

CHANNELS = ("ussd", "sms", "telegram")
"""The channels citizens answer by, in the order results show them."""
MIN_OPTIONS, MAX_OPTIONS = 2, 9
"""A choice needs two options; a USSD menu answer is one digit."""
OFFERED = 9
"""Open polls a citizen is offered at once (one digit picks one)."""


class PollError(Exception):
    """An operator's poll was refused; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class PollNotFound(PollError):
    """No poll has this id."""


class Outcome(Enum):
    """What became of a citizen's answer."""

    COUNTED = "counted"
    ALREADY = "already"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    NOT_FOUND = "not_found"
    BAD_OPTION = "bad_option"
    NO_PHONE = "no_phone"


SAYS: dict[Outcome, LocalisedText] = {
    Outcome.COUNTED: texts.COUNTED, Outcome.ALREADY: texts.ALREADY, Outcome.NOT_YET: texts.NOT_YET, Outcome.CLOSED: texts.CLOSED,
    Outcome.NOT_FOUND: texts.NOT_FOUND, Outcome.BAD_OPTION: texts.BAD_OPTION, Outcome.NO_PHONE: texts.NO_PHONE,
}


@dataclass(frozen=True)
class Answer:
    """An answer's outcome and what the citizen is told."""

    outcome: Outcome
    text: str


def at_time(field: str, value: str) -> float:
    """An ISO 8601 date and time with its offset (`2026-12-01T08:00:00+03:30`, `…Z`) as a Unix time."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise PollError(field, f"{value[:40]!r} is not a date and time; write it as 2026-12-01T08:00:00+03:30") from None
    if moment.tzinfo is None:
        raise PollError(field, "give the time's offset from UTC (+03:30 for Tehran, or Z)")
    return moment.timestamp()


def _texts(field: str, value: Mapping[str, str], languages: Sequence[str]) -> dict[str, str]:
    """A text in exactly the configured languages, none empty."""
    extra = sorted(set(value) - set(languages))
    if extra:
        raise PollError(field, f"{', '.join(extra)} is not a configured language ({', '.join(languages)})")
    missing = [lang for lang in languages if not str(value.get(lang, "")).strip()]
    if missing:
        raise PollError(field, f"the {', '.join(missing)} text is missing")
    return {lang: " ".join(str(value[lang]).split()) for lang in languages}


class PollService:
    """Polls for operators (API, console) and for citizens (USSD flow, SMS keyword, bot buttons)."""

    def __init__(self, store: PollStore, audit: AuditLog, catalogue: Callable[[], Catalogue], *, languages: tuple[str, ...],
                 page_budget: texts.PageBudget, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        self.audit = audit
        self.catalogue = catalogue
        """The catalogue served now (an audience names one of its services)."""
        self.languages = languages
        self.page_budget = page_budget
        self.clock = clock

    # -- operators ----------------------------------------------------------------------------

    def checked(self, question: Mapping[str, str], options: Sequence[Mapping[str, str]], opens_at: float | None,
                closes_at: float, audience_service: str | None) -> NewPoll:
        """A new poll from an operator's values, or PollError naming the first field that is wrong."""
        asked = _texts("question", question, self.languages)
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise PollError("options", f"{len(options)} options; a poll has {MIN_OPTIONS} to {MAX_OPTIONS}")
        choices = tuple(_texts(f"options[{i}]", o, self.languages) for i, o in enumerate(options))
        for lang in self.languages:
            seen = [c[lang].casefold() for c in choices]
            if len(set(seen)) != len(seen):
                raise PollError("options", f"two options read the same in {lang}")
        problems = texts.screen_problems(asked, choices, self.languages, self.page_budget)
        if problems:
            raise PollError("question", "; ".join(problems))
        now = self.clock()
        start = now if opens_at is None else opens_at
        if closes_at <= start:
            raise PollError("closes_at", "must be after the poll opens")
        if closes_at <= now:
            raise PollError("closes_at", "is already past")
        if audience_service is not None:
            if self.catalogue().get(audience_service) is None:
                raise PollError("audience_service", f"no service has id {audience_service}")
        return NewPoll(asked, choices, start, closes_at, audience_service)

    async def open(self, new: NewPoll, actor: str) -> Poll:
        """Store a checked poll, audited as `consultation.opened`."""
        async def audited(tx: Transaction, poll: Poll) -> None:
            await self.audit.record(actor, "consultation.opened", f"consultation {poll.id}", {
                "question": poll.question, "options": len(poll.options), "audience_service": poll.audience_service}, conn=tx)
        poll = await self.store.create(new, actor, self.clock(), (audited,))
        log.info("consultation %d opened by %s", poll.id, actor)
        return poll

    async def close(self, poll_id: int, actor: str) -> Poll:
        """End a poll now, audited as `consultation.closed` (closing a closed poll is no change)."""
        async def audited(tx: Transaction, poll: Poll) -> None:
            await self.audit.record(actor, "consultation.closed", f"consultation {poll.id}", {}, conn=tx)
        poll = await self.store.close(poll_id, actor, self.clock(), (audited,))
        if poll is None:
            raise PollNotFound("id", f"no consultation has id {poll_id}")
        return poll

    async def get(self, poll_id: int) -> Poll | None:
        """A poll by id."""
        return await self.store.get(poll_id)

    async def page(self, limit: int, offset: int, services: frozenset[str] | None = None) -> tuple[list[Poll], int]:
        """Polls newest first, and how many there are (of an agency scope's `services` and everyone's, when given)."""
        return await self.store.page(limit, offset, services)

    async def results(self, poll: Poll) -> dict[str, Any]:
        """Votes per option, each split by channel, and per channel."""
        return counts(await self.store.tallies(poll.id), len(poll.options), CHANNELS)

    # -- citizens -----------------------------------------------------------------------------

    async def offered(self, phone: str) -> list[Poll]:
        """The open polls whose audience holds `phone` and that it has not answered, oldest first."""
        return await self.store.open_for(phone, self.clock(), OFFERED)

    async def answer(self, poll_id: int, option: int, *, phone: str | None, channel: str, lang: str) -> Answer:
        """Count a citizen's answer once per phone; what they are told either way."""
        def told(outcome: Outcome, **values: object) -> Answer:
            return Answer(outcome, say(SAYS[outcome], lang, **values))

        if phone is None:
            return told(Outcome.NO_PHONE)
        poll = await self.store.get(poll_id)
        if poll is None or not await self.store.in_audience(poll_id, phone):
            return told(Outcome.NOT_FOUND, id=poll_id)
        state = poll.state(self.clock())
        if state != "open":
            return told(Outcome.NOT_YET if state == "scheduled" else Outcome.CLOSED)
        if not 1 <= option <= len(poll.options):
            return told(Outcome.BAD_OPTION, option=option, count=len(poll.options))
        if not await self.store.vote(poll_id, phone, option, channel, self.clock()):
            log.info("consultation %d: %s answered again on %s; the first answer stands", poll_id, masked(f"tel:{phone}"), channel)
            return told(Outcome.ALREADY)
        log.info("consultation %d: an answer on %s", poll_id, channel)
        return told(Outcome.COUNTED)

    def screen(self, poll: Poll, lang: str) -> str:
        """The poll's question and numbered options."""
        return texts.screen(poll.question, poll.options, lang)


