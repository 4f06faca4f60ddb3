"""Development mode: long-poll the Bot API instead of receiving the webhook (`pishkhan serve --telegram-polling`).

Updates take the same path as the webhook's (duplicate check, background processing), so what
works when polling works behind the webhook. Polling removes the bot's webhook first: the Bot API
serves one or the other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable

from aiohttp import web
from telegram.error import RetryAfter, TelegramError

from gateway.background import cancel_and_wait
from gateway.runtime import GATEWAY
from gateway.telegram.client import redacted, retry_seconds
from gateway.telegram.registry import ALLOWED_UPDATES, POLL_TIMEOUT, BotRegistry, BotRuntime

log = logging.getLogger(__name__)

ERROR_PAUSE = 5.0


async def poll(registry: BotRegistry, bot: BotRuntime, timeout: int = POLL_TIMEOUT) -> None:
    """Fetch and accept this bot's updates until cancelled."""
    await bot.until_ready()
    api = bot.application.bot
    await api.delete_webhook()
    log.info("bot %s: polling for updates (development mode)", bot.name)
    offset: int | None = None
    while True:
        try:
            updates = await api.get_updates(offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES))
        except RetryAfter as error:
            await asyncio.sleep(retry_seconds(error))
            continue
        except TelegramError as error:  # Conflict (a webhook came back), network errors
            log.warning("bot %s: polling failed (%s); again in %.0fs", bot.name, redacted(str(error), bot.settings.token), ERROR_PAUSE)
            await asyncio.sleep(ERROR_PAUSE)
            continue
        for update in updates:
            offset = update.update_id + 1
            await registry.accept(bot, update)


async def with_polling(app: Awaitable[web.Application]) -> web.Application:
    """The gateway's application, polling its bots while it runs (what `serve --telegram-polling` runs)."""
    built = await app
    enable_polling(built, built[GATEWAY].bots)
    return built


def enable_polling(app: web.Application, registry: BotRegistry) -> None:
    """Poll every configured bot while `app` runs."""

    async def polling(_: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(poll(registry, bot), name=f"telegram-poll-{bot.name}") for bot in registry.bots.values()]
        if not tasks:
            log.warning("--telegram-polling: no bots configured (telegram.bots in settings.yaml)")
        yield
        await asyncio.gather(*(cancel_and_wait(task) for task in tasks))

    app.cleanup_ctx.append(polling)
