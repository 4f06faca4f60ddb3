"""The identity check on the submit path, and the background pass that finishes what an outage held.

Before a request for a service whose card says `identity_check: true` is submitted, the citizen's
number (the session's: the MSISDN on USSD and SMS, the verified contact on bots) is checked against
the national code they typed. A match submits as usual; no match submits nothing and says so. When
the provider cannot answer, the answers are kept (`identity_pending`) and the citizen is told that
the result will follow; `retry_waiting` asks again later, then submits the request (its receipt,
tracking code included, goes to the citizen's channel as after a USSD session) or tells them why not.
The request lifecycle is untouched: a request exists only once its citizen is known to be who the
number says, so agencies never see one waiting for a check.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from flows.clock import Clock
from flows.errors import ProviderError
from flows.masking import masked
from flows.texts import LocalisedText, pick
from gateway.catalogue import Service
from gateway.identity import texts
from gateway.identity.check import IdentityCheck
from gateway.identity.flow import LIMIT, NEEDS_PHONE, NO_MATCH, WAITING
from gateway.identity.limit import LimitReached
from gateway.identity.pending import PendingStore, Waiting
from gateway.identity.settings import IdentitySettings
from gateway.outbox import Outbox
from gateway.requests import RequestError, RequestService
from gateway.requests.service import NOTIFY_CHANNEL, checked_inputs, receipt_key
from gateway.requests.texts import receipt_sms

log = logging.getLogger(__name__)

MAX_BACKOFF = 8
"""A waiting request is asked about again after `retry_interval` × 1, 2, 4, 8, 8… seconds."""

PhoneWanted = Callable[[str, str], Awaitable[None]]
"""Told (address, language) when a bot chat must share its number first (the bot shows its contact button)."""


def national_code_of(service: Service, values: Mapping[str, str]) -> str | None:
    """The answer to the service's national-code question (the card rules make sure there is one)."""
    return next((values[i.name] for i in service.inputs if i.kind == "national_code" and i.name in values), None)


class IdentityGate:
    """Holds back submissions the identity check has not passed."""

    def __init__(self, check: IdentityCheck, pending: PendingStore, requests: RequestService, outbox: Outbox,
                 settings: IdentitySettings, clock: Clock) -> None:
        self.check = check
        self.pending = pending
        self.requests = requests
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.phone_wanted: list[PhoneWanted] = []
        """Run when a bot chat has no verified number to check (registered by the bots)."""

    async def before_submit(self, service: Service, inputs: Mapping[str, str], *, channel: str, address: str,
                            phone: str | None, lang: str) -> str | None:
        """None: submit as usual. Else the outcome holding it back (NO_MATCH, LIMIT: the number has had
        its checks today, WAITING: its answers kept, NEEDS_PHONE). RequestError for inputs that are
        wrong, as `submit` would say."""
        if not service.identity_check:
            return None
        values = checked_inputs(service, inputs, self.requests.region)
        code = national_code_of(service, values)
        if code is None:
            raise RequestError(f"service {service.id} requires an identity check but has no national code answer")
        if phone is None:
            for wanted in self.phone_wanted:
                await wanted(address, lang)
            return NEEDS_PHONE
        try:
            return None if await self.check.matches(phone, code) else NO_MATCH
        except LimitReached as reached:
            log.warning("identity check for service %s by %s not asked: %s", service.id, masked(address), reached)
            return LIMIT
        except ProviderError as error:
            now = self.clock()
            kept = await self.pending.keep(service.id, values, channel=channel, address=address, phone=phone, lang=lang,
                                           now=now, next_at=now + self.settings.retry_interval)
            log.warning("identity check for service %s by %s could not be made (%s): answers kept as #%d for a retry",
                        service.id, masked(address), error, kept)
            return WAITING

    async def retry_waiting(self, limit: int = 100) -> int:
        """Ask again about the requests whose next try is due; how many were settled (submitted or refused)."""
        settled = 0
        for waiting in await self.pending.due(self.clock(), limit):
            try:
                settled += await self._retry(waiting)
            except Exception:  # one request's failure must not hold up the others; it stays for the next pass
                log.exception("identity retry #%d failed", waiting.id)
        return settled

    async def _retry(self, waiting: Waiting) -> bool:
        service = self.requests.catalogue().get(waiting.service_id)
        code = national_code_of(service, waiting.inputs) if service else None
        if service is None or code is None:  # the card changed meanwhile: nothing left to check it against
            return await self._refuse(waiting, texts.LATE_GAVE_UP, "its service no longer asks for a national code")
        try:
            matches = await self.check.matches(waiting.phone, code, counted=False)
        except ProviderError as error:
            now = self.clock()
            if now - waiting.created_at >= self.settings.give_up_hours * 3600:
                return await self._refuse(waiting, texts.LATE_GAVE_UP, f"the provider has not answered since ({error})")
            await self.pending.later(waiting, now + self.settings.retry_interval * min(2 ** waiting.attempts, MAX_BACKOFF))
            return False
        if not matches:
            return await self._refuse(waiting, texts.LATE_NO_MATCH, "the number is not the national code's")
        try:
            record = await self.requests.submit(waiting.service_id, waiting.inputs, channel=waiting.channel, address=waiting.address,
                                                phone=waiting.phone, lang=waiting.lang)
        except RequestError as error:  # the service was withdrawn or its questions changed meanwhile
            return await self._refuse(waiting, texts.LATE_GAVE_UP, str(error))
        # The citizen saw no receipt screen: it goes as a message, under the key a USSD receipt has (so
        # that one is not sent twice, and a payment link follows it). A crash before `done` repeats the
        # pass: `submit` answers a repeat with the same request, and the key keeps the receipt single.
        text = receipt_sms(record.tracking_code, pick(service.label, record.lang), record.due_date, record.fee, record.lang)
        await self.outbox.enqueue(NOTIFY_CHANNEL.get(record.channel, "sms"), record.address, text, kind="receipt",
                                  meta={"lang": record.lang, "tracking_code": record.tracking_code},
                                  idempotency_key=receipt_key(record.tracking_code))
        await self.pending.done(waiting)
        log.info("identity check #%d passed: request %s submitted for %s", waiting.id, record.tracking_code, masked(waiting.address))
        return True

    async def _refuse(self, waiting: Waiting, text: LocalisedText, why: str) -> bool:
        """Tell the citizen their request was not submitted (once, whatever a crash repeats), then forget the answers."""
        service = self.requests.catalogue().get(waiting.service_id)
        title = pick(service.label, waiting.lang) if service else waiting.service_id
        channel = NOTIFY_CHANNEL.get(waiting.channel, "sms")
        await self.outbox.enqueue(channel, waiting.address, texts.late_message(text, title, waiting.lang), kind="notification",
                                  meta={"lang": waiting.lang}, idempotency_key=f"identity-pending:{waiting.id}")
        await self.pending.done(waiting)
        log.info("identity check #%d: not submitted for %s: %s", waiting.id, masked(waiting.address), why)
        return True
