"""Development mode: long-poll the Bot API instead of receiving the webhook (`pishkhan serve --telegram-polling`).

Updates take the same path as the webhook's (duplicate check, background processing), so what
works when polling works behind the webhook. Polling removes the bot's webhook first: the Bot API
serves one or the other.

The poller never ends on its own, whatever the Bot API answers:
- getUpdates is read raw and each update parsed on its own (`BotRuntime.parse`, as the webhook
  does): an update python-telegram-bot cannot read is logged and acknowledged (the next offset
  passes it), not allowed to fail the whole batch and with it every later getUpdates;
- any other failure is logged and polling starts again after a pause (the webhook removed again,
  the offset kept); meanwhile the bot reports `receiving` false, so /readyz says `bot:<name>: false`
  until a getUpdates succeeds again;
- a getUpdates that brings nothing new is not repeated sooner than `min_interval` after the
  previous one began: a Bot API or emulator that answers at once despite `timeout` would otherwise
  be asked hundreds of times a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from aiohttp import web
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from gateway.background import cancel_and_wait
from gateway.runtime import GATEWAY
from gateway.telegram.client import redacted, retry_seconds
from gateway.telegram.registry import ALLOWED_UPDATES, POLL_TIMEOUT, BotRegistry, BotRuntime

log = logging.getLogger(__name__)

ERROR_PAUSE = 5.0
"""Seconds before polling again after a failure."""
MIN_INTERVAL = 1.0
"""Least seconds between the starts of two getUpdates when the first brought nothing new."""


class Poller:
    """Fetches one bot's updates and accepts them into the registry, until cancelled."""

    def __init__(self, registry: BotRegistry, bot: BotRuntime, *, timeout: int = POLL_TIMEOUT,
                 min_interval: float = MIN_INTERVAL, error_pause: float = ERROR_PAUSE) -> None:
        self.registry = registry
        self.bot = bot
        self.timeout = timeout
        self.min_interval = min_interval
        self.error_pause = error_pause
        self.offset: int | None = None
        bot.receiving = False  # until the first getUpdates succeeds

    def _failed(self, what: str, error: Exception) -> None:
        self.bot.receiving = False
        log.warning("bot %s: %s (%s: %s); again in %.0fs", self.bot.name, what, type(error).__name__,
                    redacted(str(error)[:200], self.bot.settings.token), self.error_pause)

    async def run(self) -> None:
        """Poll until cancelled, starting again after any failure."""
        try:
            while True:
                try:
                    await self._poll()
                except Exception as error:  # whatever it was, a bot that stops polling answers no one
                    self._failed("polling stopped", error)
                    await asyncio.sleep(self.error_pause)
        finally:
            self.bot.receiving = False

    async def _poll(self) -> None:
        await self.bot.until_ready()
        await self.bot.application.bot.delete_webhook()
        log.info("bot %s: polling for updates (development mode)", self.bot.name)
        while True:
            started = time.monotonic()
            try:
                batch = await self._fetch()
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
                continue
            except TelegramError as error:  # Conflict (a webhook came back), network errors, 5xx
                self._failed("getUpdates failed", error)
                await asyncio.sleep(self.error_pause)
                continue
            self.bot.receiving = True
            offset = self.offset
            for data in batch:
                await self._accept(data)
            if self.offset == offset:  # nothing new (an empty batch, or only entries without an update_id)
                await asyncio.sleep(max(0.0, started + self.min_interval - time.monotonic()))

    async def _fetch(self) -> list[Any]:
        """The raw updates after `offset`, through `do_api_request`: python-telegram-bot's documented
        way to a raw result (its `get_updates` parses the batch as a whole, so one update it cannot
        read fails them all). It warns that `get_updates` exists, which is the point; the filter is
        added on every call (idempotent) because a test harness may reset filters set at import."""
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)
        result = await self.bot.application.bot.do_api_request(
            "getUpdates", api_kwargs={"offset": self.offset, "timeout": self.timeout, "allowed_updates": list(ALLOWED_UPDATES)},
        )
        if not isinstance(result, list):
            raise TelegramError(f"getUpdates answered {type(result).__name__}, not a list of updates")
        return result

    async def _accept(self, data: Any) -> None:
        """Hand one raw update to the registry; the offset then passes it, whether it could be read or not."""
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if type(update_id) is not int:
            log.warning("bot %s: getUpdates gave an entry without an integer update_id; skipped", self.bot.name)
            return
        update = self.bot.parse(data)
        if update is not None:
            await self.registry.accept(self.bot, update)
        self.offset = max(self.offset or 0, update_id + 1)


async def with_polling(app: Awaitable[web.Application]) -> web.Application:
    """The gateway's application, polling its bots while it runs (what `serve --telegram-polling` runs)."""
    built = await app
    enable_polling(built, built[GATEWAY].bots)
    return built


def enable_polling(app: web.Application, registry: BotRegistry, *, min_interval: float = MIN_INTERVAL,
                   error_pause: float = ERROR_PAUSE) -> None:
    """Poll every configured bot while `app` runs."""

    async def polling(_: web.Application) -> AsyncIterator[None]:
        pollers = [Poller(registry, bot, min_interval=min_interval, error_pause=error_pause) for bot in registry.bots.values()]
        tasks = [asyncio.create_task(p.run(), name=f"telegram-poll-{p.bot.name}") for p in pollers]
        if not tasks:
            log.warning("--telegram-polling: no bots configured (telegram.bots in settings.yaml)")
        yield
        await asyncio.gather(*(cancel_and_wait(task) for task in tasks))

    app.cleanup_ctx.append(polling)
