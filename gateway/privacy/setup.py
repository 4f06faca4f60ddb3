"""Opening the privacy side of a gateway: the statement (checked against every channel's limits), the
service, and its hooks on the SMS keywords and the bots' commands."""

from __future__ import annotations

from collections.abc import Callable

from channels.telegram import OutgoingMessage, text_messages
from flows.clock import SYSTEM_CLOCK, Clock
from flows.gsm7 import sms_encoding
from gateway.catalogue import Catalogue
from gateway.privacy import texts
from gateway.privacy.service import PrivacyService
from gateway.privacy.statement import load_statement
from gateway.settings import Settings
from gateway.settings_base import SettingsError
from gateway.sms.service import SmsService
from gateway.store import Database
from gateway.telegram.service import BotService

SUMMARY_PARTS = 3
"""SMS parts the `privacy` keyword's answer (the summary and the link) may take: 201 Persian characters."""


def build_privacy(settings: Settings, db: Database, catalogue: Callable[[], Catalogue], clock: Clock = SYSTEM_CLOCK) -> PrivacyService:
    """The privacy service; SettingsError when the statement is wrong or its SMS summary is longer than a summary
    (SUMMARY_PARTS). Like HELP's, the answer is one text, not a page of a menu, so `sms.max_segments` does not bind it."""
    languages = tuple(settings.flows.languages)
    file = settings.path(settings.privacy.statement)
    statement = load_statement(file, languages=languages, retention_days=settings.privacy.retention_days,
                               public_base_url=settings.server.public_base_url)
    for lang in languages:
        segments = sms_encoding(statement.short(lang)).segments
        if segments > SUMMARY_PARTS:
            raise SettingsError(f"{file}: `summary.{lang}` with the link ({statement.url}) is {segments} SMS parts; "
                                f"at most {SUMMARY_PARTS}: shorten the summary")
    return PrivacyService(settings.privacy, statement, db, catalogue, languages=languages, clock=clock)


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
