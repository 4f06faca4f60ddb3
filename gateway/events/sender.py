"""The outbox's `webhook` channel: one signed POST of an event to a subscription's URL per attempt.

What an answer means (the Standard Webhooks specification's etiquette): 2xx delivered; 410 Gone
disables the subscription (the agency asked for no more) and ends the delivery; 408, 429, 5xx, a
timeout or a refused connection are retried on `events.retry_delays` (a `Retry-After` longer than
that is honoured); any other answer (3xx included: redirects are not followed) fails the delivery.
Every attempt is logged in `event_deliveries` whatever its outcome, for the delivery log.

The body and the `webhook-id` are the same on every attempt; the timestamp and the signature are
the attempt's own, so a receiver can both deduplicate and refuse stale replays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit

import aiohttp

from flows.clock import SYSTEM_CLOCK, Clock
from flows.errors import ProviderError
from gateway.events import signing
from gateway.events.egress import PublicOnlyResolver, is_private
from gateway.events.log import CHANNEL, payload
from gateway.events.settings import EventSettings
from gateway.outbox import OutboxMessage, SendResult, Suppressed
from gateway.store import Database

log = logging.getLogger(__name__)

RETRIED_4XX = (408, 429)
MAX_ERROR = 300
"""Characters of an error kept per attempt."""
MAX_RETRY_AFTER = 86400.0
"""The longest `Retry-After` honoured: a receiver cannot park a delivery for weeks."""


def retry_after(value: str | None) -> float | None:
    """A `Retry-After` given in seconds (a date form is rare from machines: ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def secrets_in_use(subscription: Mapping[str, Any], now: float) -> list[str]:
    """The current secret, and the one it replaced while its overlap lasts."""
    kept = subscription["previous_secret"] and (subscription["previous_until"] or 0) > now
    return [subscription["secret"], subscription["previous_secret"]] if kept else [subscription["secret"]]


class WebhookSender:
    """Delivers `webhook` outbox rows; `max_attempts` is the outbox's, to log a last failure as dead."""

    channel = CHANNEL

    def __init__(self, db: Database, settings: EventSettings, *, max_attempts: int, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.settings = settings
        self.max_attempts = max_attempts
        self.clock = clock  # the webhook-timestamp and the attempt's time in the log
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            connector = None if self.settings.allow_private_urls else aiohttp.TCPConnector(resolver=PublicOnlyResolver())
            self._http = aiohttp.ClientSession(headers={"User-Agent": "Pishkhan-Webhooks/1"}, connector=connector)
        return self._http

    async def close(self) -> None:
        """Release the HTTP connections."""
        if self._http is not None:
            await self._http.close()

    def delay(self, attempts: int, asked: float | None) -> float:
        """Seconds before the next attempt after `attempts` failed ones."""
        delays = self.settings.retry_delays
        planned = delays[min(attempts, len(delays)) - 1]
        return max(planned, min(asked or 0.0, MAX_RETRY_AFTER))

    async def send(self, message: OutboxMessage) -> SendResult:
        event_id, subscription_id = int(message.meta["event"]), int(message.meta["subscription"])
        event = await self.db.fetchone("SELECT * FROM events WHERE id = ?", (event_id,))
        subscription = await self.db.fetchone("SELECT * FROM event_subscriptions WHERE id = ?", (subscription_id,))
        if event is None or subscription is None or subscription["state"] != "enabled":
            why = "the subscription was deleted" if subscription is None else "the event is gone" if event is None else \
                f"the subscription is disabled ({subscription['disabled_reason'] or 'by an operator'})"
            await self._log(message, None, 0.0, "skipped", why)
            raise Suppressed(f"not sent: {why}")
        body = payload(event, personal=bool(subscription["personal"]))
        now = self.clock()
        headers = {**signing.headers(secrets_in_use(subscription, now), event["webhook_id"], int(now), body),
                   "Content-Type": "application/json"}
        started = time.monotonic()
        host = urlsplit(subscription["url"]).hostname or ""
        if not self.settings.allow_private_urls and is_private(host):  # made while they were allowed; a literal is not resolved
            await self._fail(message, None, started, f"{host} is a loopback or private host (events.allow_private_urls)", retryable=False,
                             asked=None)
        try:
            async with self._session().post(subscription["url"], data=body, headers=headers, allow_redirects=False,
                                            timeout=aiohttp.ClientTimeout(total=self.settings.timeout)) as response:
                status, asked = response.status, retry_after(response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            why = f"no answer within {self.settings.timeout:g} s" if isinstance(error, TimeoutError) else f"{error.__class__.__name__}: {error}"
            await self._fail(message, None, started, why, retryable=True, asked=None)
        if 200 <= status < 300:
            await self._log(message, status, started, "delivered", None)
            return SendResult(provider="webhook", provider_message_id=event["webhook_id"])
        if status == 410:
            await self._log(message, status, started, "gone", "410 Gone: the subscription is disabled")
            await self._disable(subscription_id, "the receiver answered 410 Gone")
            raise ProviderError(f"HTTP 410 from subscription {subscription_id}: disabled", retryable=False)
        retryable = status >= 500 or status in RETRIED_4XX
        await self._fail(message, status, started, f"HTTP {status}", retryable=retryable, asked=asked)

    async def _fail(self, message: OutboxMessage, status: int | None, started: float, why: str, *, retryable: bool,
                    asked: float | None) -> NoReturn:
        outcome = "failed" if not retryable else "dead" if message.attempts >= self.max_attempts else "retry"
        await self._log(message, status, started, outcome, why)
        raise ProviderError(f"subscription {message.meta['subscription']}: {why}", retryable=retryable,
                            retry_after=self.delay(message.attempts, asked) if retryable else None)

    async def _disable(self, subscription_id: int, reason: str) -> None:
        now = self.clock()
        await self.db.execute("UPDATE event_subscriptions SET state = 'disabled', disabled_reason = ?, updated_at = ? WHERE id = ?",
                              (reason, now, subscription_id))
        log.warning("event subscription %d disabled: %s", subscription_id, reason)

    async def _log(self, message: OutboxMessage, status: int | None, started: float, outcome: str, error: str | None) -> None:
        """One line of the delivery log."""
        took = round((time.monotonic() - started) * 1000) if started else 0
        await self.db.execute(
            "INSERT INTO event_deliveries (event_id, subscription_id, outbox_id, attempt, at, status, duration_ms, outcome, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (int(message.meta["event"]), int(message.meta["subscription"]), message.id, message.attempts, self.clock(), status,
             took, outcome, error[:MAX_ERROR] if error else None))
