"""The running gateway as one finished, immutable object, and the key it is stored under in the app.

A low module: routes, the API and the CLI import it without importing how it is built
(`gateway.assembly`), so there is no cycle between the composition root and its users.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from gateway.analytics.recorder import Recorder
from gateway.catalogue import Catalogue
from gateway.complaints.service import ComplaintService
from gateway.consultations import PollService
from gateway.content.live import ContentWatcher, LiveContent
from gateway.content.publish import Publisher
from gateway.conversations import Conversations
from gateway.engines import EngineBuilder
from gateway.feedback.setup import Feedback
from gateway.idempotency import IdempotencyKeys
from gateway.identity.setup import Identity
from gateway.outbox import Dispatcher, Outbox
from gateway.payments import PaymentService
from gateway.privacy.service import PrivacyService
from gateway.requests import RequestService
from gateway.settings import Settings
from gateway.sms.service import SmsService
from gateway.state import StateStore
from gateway.store import Database
from gateway.telegram.registry import BotRegistry
from gateway.ussd.service import UssdService

ReadyCheck = Callable[[], Awaitable[bool]]
Closer = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Readiness:
    """What /readyz asks, and which answers only inform (a part whose outage must not take the others
    out of the load balancer: a bot's Bot API, filtered from some networks)."""

    checks: Mapping[str, ReadyCheck]
    advisory: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Gateway:
    """Every long-lived part of a running gateway, built once at start by `gateway.assembly`."""

    settings: Settings
    db: Database
    state: StateStore
    outbox: Outbox
    dispatcher: Dispatcher
    content: LiveContent
    builder: EngineBuilder
    publisher: Publisher
    watcher: ContentWatcher
    conversations: Conversations
    ussd: UssdService
    requests: RequestService
    payments: PaymentService
    sms: SmsService
    bots: BotRegistry
    analytics: Recorder
    readiness: Readiness
    polls: PollService
    complaints: ComplaintService
    feedback: Feedback
    identity: Identity
    idempotency: IdempotencyKeys
    privacy: PrivacyService
    closers: tuple[Closer, ...] = field(default=())

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue citizens see now."""
        return self.content.catalogue

    async def close(self) -> None:
        """Release everything in reverse order of opening."""
        for closer in reversed(self.closers):
            await closer()


GATEWAY = web.AppKey("gateway", Gateway)
