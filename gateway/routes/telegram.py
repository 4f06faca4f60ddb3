"""Bot webhooks: `POST /telegram/<bot>` authenticates Telegram's secret token, parses the Update and
answers 200 at once; the update is processed in the background (see gateway.telegram.registry)."""

from __future__ import annotations

import hmac
import json

from aiohttp import web

from gateway.observability.hops import HopMeter, hop_meter
from gateway.runtime import GATEWAY

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
METER = web.AppKey("telegram_meter", HopMeter)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def telegram_update(request: web.Request) -> web.Response:
    """One Update from the Bot API of the bot named in the path."""
    registry = request.app[GATEWAY].bots
    name = request.match_info["bot"]
    bot = registry.get(name) if registry else None
    if bot is None:
        return _error(404, "not_found", "no bot with this name is configured")
    given = request.headers.get(SECRET_HEADER)
    if given is None:
        return _error(401, "unauthorized", f"the {SECRET_HEADER} header is missing")
    if not bot.settings.secret or not hmac.compare_digest(given.encode(), bot.settings.secret.encode()):
        return _error(403, "forbidden", "wrong secret token (pishkhan telegram set-webhook registers the right one)")
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_request", "the body is not JSON")
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return _error(400, "bad_request", "not a Bot API Update (an object with an integer update_id)")
    if not await bot.ready():
        return _error(503, "unavailable", "the bot's Bot API is unreachable; Telegram will redeliver")
    update = bot.parse(data)
    if update is None:  # logged; Telegram must not redeliver what it would only send again
        return web.json_response({"ok": True, "ignored": True})
    meter = request.app[METER]
    started = meter.start()  # before accept: the update's task takes this request id with it
    meter.done(started, "accepted" if await registry.accept(bot, update) else "duplicate")
    return web.json_response({"ok": True})


def setup(app: web.Application) -> None:
    """Register POST /telegram/<bot>."""
    app[METER] = hop_meter(app[GATEWAY].settings.metrics.enabled, "telegram")
    app.router.add_post("/telegram/{bot}", telegram_update)
