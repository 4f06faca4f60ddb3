"""Opening the bot side of a gateway: bots from settings, their service, the outbox sender."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gateway.state.throttle import Throttle
from gateway.telegram.contacts import ContactStore
from gateway.telegram.my_requests import RequestListing
from gateway.telegram.registry import BotRegistry, BotRuntime, build_runtime
from gateway.telegram.sender import TelegramSender
from gateway.telegram.service import BotService
from gateway.telegram.settings import telegram_settings

if TYPE_CHECKING:
    from gateway.app import Gateway, ReadyCheck

log = logging.getLogger(__name__)


def ready_check(bot: BotRuntime) -> ReadyCheck:
    """/readyz's `bot:<name>`: whether the bot's Bot API has answered. It reads what the background
    retry found (gateway.telegram.registry), so a probe costs no Bot API call."""

    async def check() -> bool:
        return bot.is_ready

    return check


async def open_telegram(gateway: Gateway) -> BotRegistry:
    """Build every configured bot and reach its Bot API; registers each bot's ready check and the
    `telegram` outbox sender."""
    settings = telegram_settings(gateway.settings)
    contacts = ContactStore(gateway.db)
    listing = RequestListing(gateway.requests, contacts)
    gateway.requests.on_submitted.append(listing.on_submitted)
    service = BotService(
        gateway.conversations, gateway.state, contacts, listing,
        languages=tuple(gateway.settings.flows.languages),
        session_ttl=gateway.settings.sessions.telegram_ttl,
        reply_wait_limit=settings.reply_wait_limit,
    )
    bots = settings.configured()
    skipped = sorted(set(settings.bots or {}) - {b.name for b in bots})
    if skipped:
        log.warning("telegram bots without a token are off: %s", ", ".join(skipped))
    throttle = Throttle(gateway.state)  # one schedule per bot and chat across all workers
    registry = BotRegistry({b.name: build_runtime(b, settings, service, throttle) for b in bots}, gateway.state)
    for bot in bots:
        if not bot.secret:
            log.warning("bot %s has no webhook secret: its webhook refuses every update (set telegram.bots.%s.secret)", bot.name, bot.name)
    await registry.open()
    for runtime in registry.bots.values():
        gateway.ready_checks[f"bot:{runtime.name}"] = ready_check(runtime)
        if not settings.gates_readiness:
            gateway.advisory_checks.add(f"bot:{runtime.name}")
    gateway.dispatcher.senders["telegram"] = TelegramSender(registry, contacts, gateway.outbox)
    gateway.closers.append(registry.close)
    return registry
