"""Opening the consultation side of a gateway: the poll service over the store."""

from __future__ import annotations

from collections.abc import Callable

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.audit import AuditLog
from gateway.catalogue import Catalogue
from gateway.consultations.bot import NAMESPACE, bot_extras
from gateway.consultations.service import PollService
from gateway.consultations.sms import sms_answers
from gateway.consultations.store import PollStore
from gateway.flowfiles import check_context
from gateway.settings import Settings
from gateway.sms.service import SmsService
from gateway.store import Database
from gateway.telegram.service import BotService


def build_polls(settings: Settings, db: Database, catalogue: Callable[[], Catalogue], clock: Clock = SYSTEM_CLOCK) -> PollService:
    """The poll service; its screens are checked against the USSD page the flows are checked against."""
    budget = check_context(settings, ()).page_budget
    assert budget is not None, "check_context always sets the USSD page budget"
    return PollService(PollStore(db), AuditLog(db, clock), catalogue, languages=tuple(settings.flows.languages),
                       page_budget=budget, clock=clock)


def hook_polls(polls: PollService, sms: SmsService, bots: BotService | None) -> None:
    """Let citizens answer polls by the `poll` SMS keyword, and by `/polls` and its buttons on the bots."""
    sms.keyword_answers["poll"] = sms_answers(polls)
    if bots is not None:
        command, button = bot_extras(polls)
        bots.commands["polls"], bots.buttons[NAMESPACE] = command, bots.verified(button)
