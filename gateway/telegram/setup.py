"""Opening the bot side of a gateway: bots from settings, their service, the outbox sender."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from gateway.conversations import Conversations
from gateway.outbox import Outbox
from gateway.requests import RequestService
from gateway.settings import Settings
from gateway.state import StateStore
from gateway.state.throttle import Throttle
from gateway.store import Database
from gateway.telegram.contacts import ContactStore
from gateway.telegram.my_requests import RequestListing
from gateway.telegram.registry import BotRegistry, BotRuntime, build_runtime
from gateway.telegram.sender import TelegramSender
from gateway.telegram.service import BotService, ButtonHandler, TextHook

log = logging.getLogger(__name__)


def ready_check(bot: BotRuntime) -> Callable[[], Awaitable[bool]]:
    """/readyz's `bot:<name>`: whether the bot's Bot API has answered and updates can reach the bot
    (a development poller that is not fetching them makes it false). It reads what the background
    retry and the poller found (gateway.telegram.registry, .polling), so a probe costs no Bot API call."""

    async def check() -> bool:
        return bot.is_ready and bot.receiving

    return check


async def open_bots(
    settings: Settings, db: Database, state: StateStore, outbox: Outbox, requests: RequestService, conversations: Conversations,
    *, buttons: Mapping[str, ButtonHandler] | None = None, pending: Sequence[TextHook] = (),
) -> tuple[BotRegistry, TelegramSender]:
    """Build every configured bot and reach its Bot API; the registry and the `telegram` outbox sender.
    `buttons` and `pending`: what answers the buttons under outbox messages and the texts that answer them (BotService)."""
    telegram = settings.telegram
    contacts = ContactStore(db)
    listing = RequestListing(requests, contacts)
    requests.on_submitted.append(listing.on_submitted)
    service = BotService(
        conversations, state, contacts, listing,
        languages=tuple(settings.flows.languages),
        reply_wait_limit=telegram.reply_wait_limit,
    )
    service.buttons.update(buttons or {})
    service.pending.extend(pending)
    bots = telegram.configured()
    skipped = sorted(set(telegram.bots or {}) - {b.name for b in bots})
    if skipped:
        log.warning("telegram bots without a token are off: %s", ", ".join(skipped))
    throttle = Throttle(state)  # one schedule per bot and chat across all workers
    registry = BotRegistry({b.name: build_runtime(b, telegram, throttle) for b in bots}, state, service)
    for bot in bots:
        if not bot.secret:
            log.warning("bot %s has no webhook secret: its webhook refuses every update (set telegram.bots.%s.secret)", bot.name, bot.name)
    await registry.open()
    return registry, TelegramSender(registry, contacts, outbox)


def bot_checks(settings: Settings, registry: BotRegistry) -> tuple[dict[str, Callable[[], Awaitable[bool]]], set[str]]:
    """Each bot's /readyz check, and which of them only inform (unless `telegram.gates_readiness`)."""
    checks = {f"bot:{runtime.name}": ready_check(runtime) for runtime in registry.bots.values()}
    return checks, set() if settings.telegram.gates_readiness else set(checks)
