"""The outbox sender for the `sms` channel: picks the short number's provider, honours opt-outs
(a notification to a number that sent STOP ends `suppressed`), paces each provider, and records what
was accepted for delivery reports to update.

Aggregators throttle (or bill) bursts above the contracted rate of the account, so each provider's
`rate` per second and `burst` are a schedule in the state store (gateway.state.throttle): with
Redis, all workers together keep it."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import aiohttp

from channels.sms import kannel
from channels.sms.base import dlr_address
from flows.errors import ProviderError
from flows.gsm7 import sms_encoding
from flows.masking import masked
from gateway.outbox import OutboxMessage, SendResult, Suppressed
from gateway.sms.delivery import DeliveryStore
from gateway.sms.optout import OptOuts
from gateway.sms.providers import ProviderClient, Submission
from gateway.sms.routing import ShortNumbers
from gateway.state import Pace
from gateway.state.throttle import Throttle
from gateway.store import Transaction

log = logging.getLogger(__name__)

SUPPRESSED_KINDS = frozenset({"notification", "survey"})
"""What an opted-out number does not get (news of its requests, satisfaction questions); receipts of its own requests and replies still go."""
OPTED_OUT = "not sent: the number opted out of notifications (STOP); it gets them again after START"


class SmsSender:
    """Sends `sms` outbox messages through the provider of the message's short number."""

    channel = "sms"

    def __init__(self, clients: Mapping[str, ProviderClient], numbers: ShortNumbers, deliveries: DeliveryStore,
                 optouts: OptOuts, callback_base: str, throttle: Throttle) -> None:
        self.clients = dict(clients)
        self.numbers = numbers
        self.deliveries = deliveries
        self.optouts = optouts
        self.callback_base = callback_base
        self.throttle = throttle
        self.paces = {name: Pace(f"pace:sms:{name}", 1.0 / c.settings.rate, c.settings.burst) for name, c in self.clients.items()}
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    async def close(self) -> None:
        """Close the HTTP connections."""
        if self._http is not None:
            await self._http.close()

    def _dlr_url(self, client: ProviderClient, reference: str) -> str:
        s = client.settings
        query = kannel.dlr_query(reference) if s.type == "kannel" else ""
        return dlr_address(self.callback_base, client.name, s.secret, s.query_param, query)

    async def send(self, message: OutboxMessage) -> SendResult:
        """Hand one message to its provider; ProviderError when it cannot go (now or ever), Suppressed
        for a notification to a number that opted out."""
        scheme, _, to = message.address.partition(":")
        if scheme != "tel" or not to:
            raise ProviderError(f"{message.address[:20]!r} is not a tel: address; SMS goes to phone numbers", retryable=False)
        if message.kind in SUPPRESSED_KINDS and await self.optouts.is_opted_out(message.address):
            raise Suppressed(OPTED_OUT)
        number = self.numbers.for_message(message.meta.get("short_code"))
        if number is None:
            raise ProviderError("no short number to send from: configure sms.short_numbers and sms.default_short_number", retryable=False)
        client = self.clients.get(number.provider)
        if client is None:
            raise ProviderError(f"short number {number.number} uses provider {number.provider!r}, which has no base_url", retryable=False)
        reference = str(message.id)
        sms = Submission(reference, number.sender, to, message.text, self._dlr_url(client, reference))
        waited = await self.throttle.wait(self.paces[client.name])
        if waited > 1.0:
            log.info("SMS to %s waited %.1f s for %s's rate limit", masked(message.address), waited, client.name)
        provider_id = await client.submit(self._session(), sms)
        encoding = sms_encoding(message.text)

        async def record(conn: Transaction) -> str:  # with the row marked sent: one commit for both
            return await self.deliveries.submitted_in(conn, client.name, provider_id, message.id, coding=encoding.coding,
                                                      segments=encoding.segments)

        return SendResult(provider=client.name, provider_message_id=provider_id, record=record)
