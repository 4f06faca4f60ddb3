"""Builds the running gateway (state, catalogue, engine, services) and its aiohttp application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from flows.engine import Action, Engine
from gateway.actions import base_actions
from gateway.catalogue import Catalogue
from gateway.conversations import Conversations, ConversationSettings, resume_window
from gateway.flowfiles import build_flowset, read_catalogue
from gateway.outbox import Dispatcher, Outbox
from gateway.outbox.stream import open_stream_dispatcher
from gateway.requests import RequestService
from gateway.settings import Settings
from gateway.state import MemoryState, StateStore
from gateway.state.redis import open_redis_state, redis_settings
from gateway.store import Database
from gateway.telegram.setup import open_telegram

if TYPE_CHECKING:
    from gateway.payments import PaymentService
    from gateway.sms import SmsService
    from gateway.telegram.registry import BotRegistry

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[bool]]


@dataclass
class Gateway:
    """Every long-lived part of a running gateway, built once at start."""

    settings: Settings
    state: StateStore
    catalogue: Catalogue
    actions: dict[str, Action]
    conversations: Conversations
    db: Database
    outbox: Outbox
    dispatcher: Dispatcher
    requests: RequestService
    ready_checks: dict[str, ReadyCheck] = field(default_factory=dict)
    advisory_checks: set[str] = field(default_factory=set)
    """Ready checks /readyz reports without failing on: a part whose outage must not take the
    others out of the load balancer (a bot's Bot API, filtered from some networks)."""
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    bots: BotRegistry | None = None
    """Telegram-style bots (gateway.telegram), opened by open_gateway."""
    payments: PaymentService | None = None
    """Fee payments (gateway.payments), opened by open_gateway."""
    sms: SmsService | None = None
    """The SMS channel (gateway.sms), opened by open_gateway."""

    def engine_for(self, catalogue: Catalogue) -> Engine:
        """A checked engine for these flows and this catalogue (FlowErrors if they are broken)."""
        flows = build_flowset(self.settings, catalogue, self.actions)
        return Engine(
            flows,
            self.actions,
            languages=tuple(self.settings.flows.languages),
            max_retries=self.settings.flows.max_retries,
            action_timeout=self.settings.flows.action_timeout,
        )

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """Swap in a changed catalogue; running conversations continue on the new menus."""
        self.conversations.engine = self.engine_for(catalogue)
        self.catalogue = catalogue

    async def close(self) -> None:
        """Release everything in reverse order of opening."""
        for closer in reversed(self.closers):
            await closer()


GATEWAY = web.AppKey("gateway", Gateway)


def conversation_settings(settings: Settings) -> ConversationSettings:
    """Session lifetimes from the settings."""
    s = settings.sessions
    return ConversationSettings(
        ttl={"ussd": s.ussd_ttl, "sms": s.sms_ttl, "telegram": s.telegram_ttl},
        language_ttl=s.language_ttl,
        direct_dial_root=settings.ussd.direct_dial_root,
        resume_window=resume_window(settings),
    )


async def open_gateway(settings: Settings) -> Gateway:
    """Open state, read the catalogue and flows, and check them; raises FlowErrors on broken flows."""
    from flows.errors import FlowErrors
    from gateway.payments.setup import open_payments
    from gateway.requests.setup import open_requests
    from gateway.sms import open_sms
    errors: list = []
    catalogue = read_catalogue(settings, errors)
    if errors:
        raise FlowErrors(errors)
    db = await Database.of(settings).open()
    state: StateStore = MemoryState()
    shared = redis_settings(settings)
    dispatcher: Dispatcher
    if shared.url:
        state = open_redis_state(shared)
        dispatcher = open_stream_dispatcher(db, shared)  # the outbox queue on a Redis Stream
    else:
        dispatcher = Dispatcher(Outbox(db))
    outbox = dispatcher.outbox
    gateway = Gateway(
        settings, state, catalogue, base_actions(), conversations=None,  # type: ignore[arg-type]
        db=db, outbox=outbox, dispatcher=dispatcher, requests=None,  # type: ignore[arg-type]
    )
    gateway.closers.extend([db.close, state.close, dispatcher.close])
    gateway.ready_checks.update({"store": db.ping, "redis" if shared.url else "state": state.ping})
    try:
        gateway.requests = await open_requests(gateway)  # also swaps in the catalogue from the store
        gateway.conversations = Conversations(gateway.engine_for(gateway.catalogue), state, conversation_settings(settings))
        gateway.bots = await open_telegram(gateway)
        gateway.sms = await open_sms(gateway)  # registers dispatcher.senders["sms"] when a provider is configured
        gateway.payments = open_payments(gateway)  # hooks request submissions: a fee gets a payment link
    except BaseException:
        await gateway.close()  # the store's connection thread would keep the process from exiting
        raise
    return gateway


@web.middleware
async def json_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Unexpected errors become a JSON 500 without a traceback; HTTP errors pass through."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": {"code": "internal", "message": "internal error"}}, status=500)


def build_app(gateway: Gateway) -> web.Application:
    """The aiohttp application with every route registered."""
    from gateway import api
    from gateway.payments.sweeper import Sweeper
    from gateway.read_timeout import body_deadline
    from gateway.routes import health, payments, sms, telegram, ussd

    server = gateway.settings.server
    app = web.Application(client_max_size=server.max_body_bytes, middlewares=[json_errors, body_deadline(server.read_timeout)])
    app[GATEWAY] = gateway
    for module in (health, ussd, sms, telegram, api, payments):
        module.setup(app)

    async def background(_: web.Application) -> AsyncIterator[None]:
        gateway.dispatcher.start()
        sweeper = Sweeper(gateway.payments, gateway.payments.settings.sweep_interval) if gateway.payments else None
        if sweeper:
            sweeper.start()
        yield
        if sweeper:
            await sweeper.stop()
        await gateway.dispatcher.stop()
        await gateway.close()

    app.cleanup_ctx.append(background)
    return app


async def create_app(settings: Settings) -> web.Application:
    """Open the gateway and build its application (what `pishkhan serve` runs)."""
    return build_app(await open_gateway(settings))
