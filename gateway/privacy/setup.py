"""Opening the privacy side of a gateway: the statement (checked against every channel's limits), the
service, and its hooks on the SMS keywords and the bots' commands."""

from __future__ import annotations

from collections.abc import Callable

from channels.telegram import OutgoingMessage, text_messages
from flows.clock import SYSTEM_CLOCK, Clock
from gateway.catalogue import Catalogue
from gateway.privacy import texts
from gateway.privacy.service import PrivacyService
from gateway.privacy.statement import configured_statement
from gateway.settings import Settings
from gateway.sms.service import SmsService
from gateway.store import Database
from gateway.telegram.service import BotService


def build_privacy(settings: Settings, db: Database, catalogue: Callable[[], Catalogue], clock: Clock = SYSTEM_CLOCK) -> PrivacyService:
    """The privacy service; SettingsError when the statement is wrong (`configured_statement`)."""
    return PrivacyService(settings.privacy, configured_statement(settings), db, catalogue, languages=tuple(settings.flows.languages),
                          clock=clock)


def hook_privacy(privacy: PrivacyService, sms: SmsService, bots: BotService | None) -> None:
    """The `privacy` SMS keyword (the summary and the link), `/privacy` (the statement, for anyone) and
    `/mydata` (what is kept about the verified number) on the bots."""

    async def keyword(_inbound: object, _argument: str, lang: str) -> str:
        return privacy.statement.short(lang)

    sms.keyword_answers["privacy"] = keyword
    if bots is None:
        return

    async def statement(lang: str) -> list[OutgoingMessage]:
        return text_messages(privacy.statement.full(lang), lang)

    async def mydata(_command: str, phone: str, lang: str) -> list[OutgoingMessage]:
        return text_messages(texts.full(await privacy.stored(phone), privacy.catalogue(), lang), lang)

    bots.open_commands["privacy"] = statement
    bots.commands["mydata"] = mydata
