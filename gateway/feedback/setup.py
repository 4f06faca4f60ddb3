"""Opening the satisfaction side of a gateway: the surveys, and where they hook into requests, SMS and bots."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.catalogue import Catalogue
from gateway.feedback import texts
from gateway.feedback.bot import BotRatings
from gateway.feedback.sms import SmsRatings
from gateway.feedback.store import SurveyStore
from gateway.feedback.survey import NAMESPACE, Surveys
from gateway.outbox import Outbox
from gateway.requests import RequestService
from gateway.settings import Settings
from gateway.settings_base import SettingsError
from gateway.sms.optout import OptOuts
from gateway.state import StateStore
from gateway.store import Database
from gateway.telegram.service import ButtonHandler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feedback:
    """The surveys and their channel sides, for the assembly to hand to the SMS service and the bots."""

    surveys: Surveys
    sms: SmsRatings
    bot: BotRatings

    @property
    def buttons(self) -> dict[str, ButtonHandler]:
        """The bot's button handlers by namespace."""
        return {NAMESPACE: self.bot.button}


def build_feedback(settings: Settings, db: Database, state: StateStore, outbox: Outbox, requests: RequestService,
                   catalogue: Callable[[], Catalogue], clock: Clock = SYSTEM_CLOCK) -> Feedback:
    """The surveys, asked after each request's first final answer (`requests.after_notice`); SettingsError
    when a language of `flows.languages` has no `feedback.question`."""
    feedback = settings.feedback
    missing = [lang for lang in settings.flows.languages if not feedback.question.get(lang, "").strip()]
    if missing:
        raise SettingsError(f"`feedback.question` has no text for {', '.join(missing)} (every language of flows.languages needs one)")
    segments = settings.sms.max_segments
    for lang in settings.flows.languages:
        if not texts.fits_sms(feedback.question[lang], lang, segments):
            log.warning("feedback.question.%s is too long for an SMS of sms.max_segments (%d) parts: SMS citizens get it cut short",
                        lang, segments)
    surveys = Surveys(SurveyStore(db), outbox, OptOuts(db), catalogue, feedback, sms_max_segments=settings.sms.max_segments, clock=clock)
    requests.after_notice.append(surveys.ask)
    return Feedback(surveys, SmsRatings(surveys), BotRatings(surveys, state, wait_limit=settings.telegram.reply_wait_limit))
