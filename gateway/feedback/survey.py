"""Asking for a rating when a request is finished, and taking the answer, whatever the channel.

Asked once per request, at its first final answer: `rejected` or `delivered`. A request rejected and
later delivered (the lifecycle's rejected -> delivered: the rejection letter handed over) keeps the
survey asked at `rejected`; its rating is about the answer the citizen got. The question follows
the status notification (outbox `after`), so it never arrives before the news it asks about, and it
is never asked of a number that opted out of notifications (no survey at all: it would count as
asked and never answered); a number that opts out after the question was queued does not get it
either (the SMS sender suppresses `survey` like `notification`).

The first answer wins: a second one is thanked and told the first one stands, so the counts
operators read never shift under them. A survey takes answers for `feedback.expires_after`; it is
still recognised for as long again after it closes, so a late or repeated reply gets a clear answer
instead of landing in the menu, and after that a rating-like text is an ordinary text again.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from channels.telegram import encode_namespaced
from flows.clock import SYSTEM_CLOCK, Clock
from flows.masking import masked
from flows.texts import pick, say
from gateway.catalogue import Catalogue
from gateway.feedback import texts
from gateway.feedback.settings import FeedbackSettings
from gateway.feedback.store import RATINGS, Survey, SurveyStore
from gateway.outbox import Outbox
from gateway.requests.service import NOTIFY_CHANNEL, event_key
from gateway.requests.store import RequestEvent, RequestRecord
from gateway.sms.optout import OptOuts

log = logging.getLogger(__name__)

FINAL = frozenset({"rejected", "delivered"})
"""Statuses that answer a request: the first one a request reaches asks its survey."""
KIND = "survey"
"""The outbox kind of a question (what the SMS sender suppresses for an opted-out number)."""
MAX_COMMENT = 500
NAMESPACE = "csat"
"""Of the bot's rating buttons: `csat:<survey id>:<rating>`."""


def survey_key(survey_id: int) -> str:
    """The outbox key of a survey's question: queued once, however often the event is repaired."""
    return f"survey:{survey_id}"


class Outcome(enum.Enum):
    """What became of an answer."""

    RECORDED = "recorded"
    ALREADY = "already"
    """The survey had its answer: the first one stands."""
    CLOSED = "closed"
    """The survey expired before this answer came."""


@dataclass(frozen=True)
class Rated:
    """An answer's outcome, with the survey as it stands after it."""

    outcome: Outcome
    survey: Survey

    def reply(self, comment: bool) -> str:
        """What the citizen is told (in the request's language)."""
        survey = self.survey
        shown = str(survey.rating)
        if self.outcome is Outcome.CLOSED:
            return say(texts.CLOSED, survey.lang)
        if self.outcome is Outcome.ALREADY:
            return say(texts.ALREADY, survey.lang, rating=shown)
        return say(texts.THANKS_COMMENT if comment else texts.THANKS, survey.lang, rating=shown)


class Surveys:
    """Asks the survey of finished requests and records answers."""

    def __init__(self, store: SurveyStore, outbox: Outbox, optouts: OptOuts, catalogue: Callable[[], Catalogue],
                 settings: FeedbackSettings, *, sms_max_segments: int | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        self.outbox = outbox
        self.optouts = optouts
        self.catalogue = catalogue
        self.settings = settings
        self.sms_max_segments = sms_max_segments
        self.clock = clock  # when a survey is asked, expires, is answered

    async def ask(self, record: RequestRecord, event: RequestEvent) -> None:
        """A RequestService `after_notice` hook: ask the request's survey after its first final answer.
        Idempotent (the repair runs it again for an event a crash left unmarked)."""
        channel = NOTIFY_CHANNEL.get(record.channel)
        if not self.settings.enabled or event.to_status not in FINAL or channel is None:
            return
        if channel == "sms" and await self.optouts.is_opted_out(record.address):
            log.info("request %s: no survey, %s opted out of notifications", record.tracking_code, masked(record.address))
            return
        now = self.clock()
        survey = await self.store.ask(record.id, record.service_id, record.channel, record.address, record.lang, event.id,
                                      now, now + self.settings.expires_after)
        if survey.event_id != event.id:  # asked at an earlier final answer (rejected, then delivered)
            return
        text = texts.question(self._template(record.lang), self._title(record.service_id, record.lang), record.tracking_code,
                              texts.HOW_SMS if channel == "sms" else texts.HOW_BOT, record.lang,
                              self.sms_max_segments if channel == "sms" else None)
        meta: dict[str, object] = {"lang": record.lang, "tracking_code": record.tracking_code, "survey_id": survey.id}
        if channel != "sms":
            meta["buttons"] = [[(str(rating), encode_namespaced(NAMESPACE, survey.id, rating)) for rating in RATINGS]]
        await self.outbox.enqueue(channel, record.address, text, kind=KIND, meta=meta, idempotency_key=survey_key(survey.id),
                                  after=event_key(event.id), service_id=record.service_id)
        log.info("request %s: satisfaction survey %d asked of %s", record.tracking_code, survey.id, masked(record.address))

    def _template(self, lang: str) -> str:
        return pick(self.settings.question, lang)

    def _title(self, service_id: str, lang: str) -> str:
        service = self.catalogue().get(service_id)
        return pick(service.label, lang) if service else service_id

    async def rate(self, survey: Survey, rating: int, comment: str | None) -> Rated:
        """Record `rating` (1-5) and `comment` as the survey's answer, unless it has one or has expired."""
        comment = (comment or "").strip()[:MAX_COMMENT] or None
        recorded = await self.store.answer(survey.id, rating, comment, self.clock())
        if recorded:
            log.info("survey %d answered: %d%s", survey.id, rating, " with a comment" if comment else "")
        current = await self.store.get(survey.id) or survey
        return Rated(Outcome.RECORDED if recorded else Outcome.ALREADY if current.rating is not None else Outcome.CLOSED, current)

    async def remembered(self, address: str) -> list[Survey]:
        """The surveys asked of `address` that are open, or closed less than a survey's lifetime ago; newest first."""
        return await self.store.latest(address, self.clock() - self.settings.expires_after)

    def is_open(self, survey: Survey) -> bool:
        """Whether the survey still takes its first answer now."""
        return survey.open_at(self.clock())
