"""USSD webhooks: authenticate, parse to Inbound, run the turn, render the dialect's page."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from functools import lru_cache

from aiohttp import web

from channels.ussd.africastalking import AfricasTalking
from channels.ussd.base import UssdDialect, ussd_surface
from channels.ussd.hubtel import Hubtel
from flows.errors import ChannelError
from flows.paging import Surface
from flows.reply import Reply
from gateway.runtime import GATEWAY
from gateway.webhook_auth import WebhookAuth

log = logging.getLogger(__name__)

DIALECTS: dict[str, UssdDialect] = {d.name: d for d in (AfricasTalking(), Hubtel())}
HOP_BUDGET = 5.0
"""Seconds a hop may take before the citizen is told to try again; aggregators give up near 15 s."""

SORRY = Reply(body="خطای موقت. لطفا دوباره تلاش کنید.\nTemporary error. Please try again.", end=True, expects_input=False, lang="en")
AUTH = web.AppKey("ussd_auth", WebhookAuth)


@lru_cache(maxsize=64)
def _surface(gsm_limit: int, ucs2_limit: int) -> Surface:
    return ussd_surface(gsm_limit, ucs2_limit)


async def _fields(request: web.Request) -> Mapping[str, str]:
    """Form fields or a JSON object, as strings; ChannelError for anything else."""
    try:
        if request.content_type == "application/json":
            data = json.loads(await request.text())
            if not isinstance(data, dict):
                raise ChannelError("the JSON body must be an object")
            return {str(k): "" if v is None else str(v) for k, v in data.items()}
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    except (ValueError, UnicodeDecodeError, LookupError) as exc:  # LookupError: a charset Python does not know
        raise ChannelError(f"unreadable body: {exc.__class__.__name__}") from exc


async def ussd_hop(request: web.Request) -> web.Response:
    """One USSD hop for the dialect named in the path."""
    dialect = DIALECTS.get(request.match_info["dialect"])
    if dialect is None:
        raise web.HTTPNotFound(text=f"unknown USSD dialect; known: {', '.join(DIALECTS)}")
    if not request.app[AUTH].allows(request):
        return web.Response(status=401, text="END Unauthorized")
    gateway = request.app[GATEWAY]
    try:
        inbound, network = dialect.parse(await _fields(request), gateway.settings.ussd.service_code)
    except ChannelError as exc:
        return web.Response(status=exc.status, text=f"END Bad request: {exc}")
    surface = _surface(*gateway.settings.ussd.limits(network))
    try:
        async with asyncio.timeout(HOP_BUDGET):  # not wait_for: on Python 3.11 that costs a task per hop
            reply = await gateway.ussd.hop(inbound, surface)
    except TimeoutError:
        log.warning("USSD hop over budget on %s", dialect.name)
        reply = SORRY
    page = dialect.render(reply, inbound)
    return web.Response(text=page.body, content_type=page.content_type)


def setup(app: web.Application) -> None:
    """Register POST /ussd/<dialect>."""
    auth = WebhookAuth(app[GATEWAY].settings.ussd.auth, "USSD")
    auth.warn_if_open()
    app[AUTH] = auth
    app.router.add_post("/ussd/{dialect}", ussd_hop)
