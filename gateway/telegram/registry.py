"""The configured bots: one python-telegram-bot Application each, built without its own web server.

Our aiohttp route (or the development poller) classifies each update (`BotRuntime.parse`: the plain
shapes of every turn read by hand, anything else by python-telegram-bot as before) and hands it to
`accept`, which drops duplicates and passes the rest to the BotService in the background, so the
webhook answers Telegram at once. The Application serves for getMe and the bot it holds.

A bot whose Bot API is unreachable at start, or answers getMe with what python-telegram-bot cannot
read, is retried in the background every `ready_retry` seconds until it answers properly, whether
or not updates arrive: a worker that /readyz keeps out of a load balancer receives no webhooks that
could retry it. Whatever goes wrong with one bot, USSD, SMS and the other bots start. Its ready
check (`bot:<name>`) reads the state that retry leaves, so a probe never calls the Bot API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from channels.telegram import BotUpdate, read_update
from channels.telegram.update import read_plain
from gateway.background import cancel_and_wait
from gateway.state import StateStore
from gateway.state.throttle import Throttle
from gateway.telegram.client import BotClient, CallingBot, redacted
from gateway.telegram.pacing import Pacer
from gateway.telegram.request import AiohttpRequest
from gateway.telegram.service import BotService
from gateway.telegram.settings import BotSettings, TelegramSettings

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = 24 * 3600.0
"""Telegram redelivers an update it got no 200 for; its id is remembered this long."""
POLL_TIMEOUT = 25
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")


@dataclass
class BotRuntime:
    """One bot: its settings, its PTB Application and our paced client of its Bot API."""

    settings: BotSettings
    application: Application[Any, Any, Any, Any, Any, Any]
    client: BotClient
    ready_retry: float = 30.0
    """Seconds between attempts to reach a Bot API that was down at start."""
    receiving: bool = True
    """Whether updates can reach the bot. Always with the webhook (Telegram pushes them); with the
    development poller only while it is fetching them (gateway.telegram.polling): /readyz reads it."""
    _ready: bool = False
    _last_try: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def is_ready(self) -> bool:
        """Whether the Bot API has answered (no call: what the last attempt of `ready` found)."""
        return self._ready

    async def ready(self) -> bool:
        """Initialise the Application (getMe) once; while the Bot API is unreachable, retry every `ready_retry` s."""
        async with self._lock:
            if self._ready or time.monotonic() - self._last_try < self.ready_retry:
                return self._ready
            self._last_try = time.monotonic()
            host = urlsplit(self.settings.base_url).netloc
            try:
                await self.application.initialize()
            except InvalidToken:  # its message holds the token
                log.error("bot %s: %s refused the token; check telegram.bots.%s.token", self.name, host, self.name)
            except TelegramError as error:
                log.error("bot %s: Bot API at %s unreachable (%s); retrying in %.0fs", self.name, host,
                          redacted(str(error), self.settings.token), self.ready_retry)
            except Exception as error:  # getMe answered outside the contract (a user without is_bot): this bot is down, not the gateway
                log.error("bot %s: Bot API at %s answered getMe with what python-telegram-bot cannot read (%s: %s); retrying in %.0fs",
                          self.name, host, type(error).__name__, redacted(str(error)[:200], self.settings.token), self.ready_retry)
            else:
                self._ready = True
                log.info("bot %s: @%s on %s", self.name, self.application.bot.username, host)
            return self._ready

    def parse(self, data: dict[str, Any]) -> BotUpdate | None:
        """The update in `data` classified, or None (logged) when python-telegram-bot cannot read it (a kind of an
        older or newer Bot API, or an emulator outside the contract: a `callback_query` without
        `chat_instance`, a `date` in milliseconds). Delivering it again would not help, so whoever got
        it acknowledges it and goes on: one update lost, never the bot."""
        username = self.application.bot.username
        plain = read_plain(data, username)
        if plain is not None:
            return plain
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception as error:
            log.warning("bot %s: update %s ignored, python-telegram-bot cannot read it (%s: %s)", self.name, data.get("update_id"),
                        type(error).__name__, redacted(str(error)[:200], self.settings.token))
            return None
        try:
            return read_update(update, username)
        except Exception:  # read by PTB, yet not as the Bot API describes it (a text that is not a string)
            log.error("bot %s: handling an update failed", self.name, exc_info=True)
            return None

    async def until_ready(self) -> None:
        """Return once the Bot API has answered, trying every `ready_retry` seconds."""
        while not await self.ready():  # noqa: ASYNC110 (a retry timer, not waiting on an event)
            await asyncio.sleep(max(0.0, self._last_try + self.ready_retry - time.monotonic()))

    async def shutdown(self) -> None:
        """Close the bot's HTTP connections (those of a half-initialised bot too)."""
        if self._ready:
            await self.application.shutdown()
        else:
            await self.application.bot.shutdown()


def build_runtime(bot: BotSettings, settings: TelegramSettings, throttle: Throttle) -> BotRuntime:
    """A bot's Application (updater(None): we serve its webhook) and its client, paced through
    `throttle` (shared by every worker when the state store is)."""
    t = settings.timeout
    calling = CallingBot(bot.token, base_url=bot.base_url, request=AiohttpRequest(64, connect_timeout=t, read_timeout=t, pool_timeout=t),
                         get_updates_request=AiohttpRequest(1, connect_timeout=t, read_timeout=POLL_TIMEOUT + t))
    application = Application.builder().bot(calling).updater(None).build()
    client = BotClient(bot.name, calling, Pacer(throttle, bot.name, settings.per_chat_interval, settings.per_second))
    return BotRuntime(bot, application, client, settings.ready_retry)


class BotRegistry:
    """Bots by name, and the updates being processed in the background."""

    def __init__(self, bots: dict[str, BotRuntime], state: StateStore, service: BotService | None = None) -> None:
        self.bots = bots
        self.state = state
        self.service = service
        """What the bots do with updates (other parts add commands and buttons to it); None: no bots to serve."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._retries: list[asyncio.Task[None]] = []
        """Bots down at start, being retried until their Bot API answers."""

    def get(self, name: str) -> BotRuntime | None:
        """The bot with this name, if configured."""
        return self.bots.get(name)

    async def open(self) -> None:
        """Reach every Bot API once; a bot that is down is retried in the background until it answers."""
        await asyncio.gather(*(bot.ready() for bot in self.bots.values()))
        self._retries = [asyncio.create_task(bot.until_ready(), name=f"telegram-{bot.name}-ready")
                         for bot in self.bots.values() if not bot.is_ready]

    async def accept(self, bot: BotRuntime, update: BotUpdate) -> bool:
        """Process `update` in the background unless its id was seen already; False for a duplicate."""
        if not await self.state.claim(f"tgupdate:{bot.name}:{update.update_id}", DUPLICATE_WINDOW):
            return False
        task = asyncio.create_task(self._handle(bot, update), name=f"telegram-{bot.name}-{update.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _handle(self, bot: BotRuntime, update: BotUpdate) -> None:
        """The service's handling of one update, called directly rather than through PTB's
        `Application.process_update` (a context object and a walk over handlers for each update)."""
        assert self.service is not None  # a registry with bots has their service
        try:
            await self.service.handle(bot.client, update)
        except Exception:
            log.error("bot %s: handling an update failed", bot.name, exc_info=True)

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait for updates being processed, including any they lead to; False if some still run after `timeout`."""
        deadline = time.monotonic() + timeout
        while self._tasks and (left := deadline - time.monotonic()) > 0:
            await asyncio.wait(set(self._tasks), timeout=left)
        return not self._tasks

    async def close(self) -> None:
        """Stop retrying bots that are down, finish what is in flight, then release each bot's HTTP connections."""
        await asyncio.gather(*(cancel_and_wait(retry) for retry in self._retries))
        if not await self.drain():
            for task in list(self._tasks):
                task.cancel()
        for bot in self.bots.values():
            await bot.shutdown()
