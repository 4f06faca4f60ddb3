"""USSD webhooks: authenticate, parse to Inbound, run the turn, render the dialect's page."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from aiohttp import web
from yarl import query_to_pairs

from channels.ussd.africastalking import AfricasTalking
from channels.ussd.base import UssdDialect, ussd_surface
from channels.ussd.hubtel import Hubtel
from flows.errors import ChannelError
from flows.paging import Surface
from flows.reply import Reply
from gateway.hop_budget import HopBudget
from gateway.observability.hops import hop_meter, outcome
from gateway.runtime import GATEWAY, Gateway
from gateway.webhook_auth import WebhookAuth

log = logging.getLogger(__name__)

DIALECTS: dict[str, UssdDialect] = {d.name: d for d in (AfricasTalking(), Hubtel())}
HOP_BUDGET = 5.0
"""Seconds a hop may take before the citizen is told to try again; aggregators give up near 15 s."""
MAX_NETWORKS = 256
"""Page surfaces kept per operator network code."""

SORRY = Reply(body="خطای موقت. لطفا دوباره تلاش کنید.\nTemporary error. Please try again.", end=True, expects_input=False, lang="en")
AUTH = web.AppKey("ussd_auth", WebhookAuth)


FORM_TYPES = frozenset(("", "application/x-www-form-urlencoded"))
"""Bodies read as a URL-encoded form by hand (what aiohttp's `post()` takes for one)."""


async def _fields(request: web.Request) -> Mapping[str, str]:
    """Form fields or a JSON object, as strings; ChannelError for anything else."""
    try:
        content_type = request.content_type
        if content_type == "application/json":
            data = json.loads(await request.text())
            if not isinstance(data, dict):
                raise ChannelError("the JSON body must be an object")
            return {str(k): "" if v is None else str(v) for k, v in data.items()}
        if content_type in FORM_TYPES:
            body = _buffered(request)
            if body is None:  # still arriving, or over the app's limit: aiohttp's reading, and its 413
                body = await request.read()
            return _form(body, request.charset or "utf-8", request.client_max_fields)
        form = await request.post()  # multipart, or a type with no fields: aiohttp's own reading
        return {k: v for k, v in form.items() if isinstance(v, str)}
    except (ValueError, UnicodeDecodeError, LookupError) as exc:  # LookupError: a charset Python does not know
        raise ChannelError(f"unreadable body: {exc.__class__.__name__}") from exc


def _buffered(request: web.Request) -> bytes | None:
    """The whole body when it is already in the stream's buffer and within the app's limit (the app's
    middleware waited for it), taken in one call rather than `request.read()`'s chunked loop; else None."""
    content = request.content
    if content.is_eof() and content.total_bytes <= request.client_max_size:
        return content.read_nowait()
    return None


def _form(body: bytes, charset: str, max_fields: int) -> dict[str, str]:
    """A URL-encoded form's fields, the last of a repeated name winning: what `request.post()` gives
    (yarl's decoding, which aiohttp uses, and the same 413 past the app's field limit) without
    its multidict, its read-only proxy and a type check per field when copied into a dict."""
    if not body:
        return {}
    query = body.rstrip().decode(charset)
    if 0 < max_fields <= query.count("&"):
        raise web.HTTPRequestEntityTooLarge(max_fields, text=f"Maximum number of form fields {max_fields} exceeded.")
    return dict(query_to_pairs(query, encoding=charset))  # aiohttp's own decoding


class UssdHops:
    """The handler of one dialect's hops, with what every hop looks up bound once: the gateway, the
    webhook check, and a page surface per operator network (the settings do not change while serving)."""

    def __init__(self, gateway: Gateway, auth: WebhookAuth, dialect: UssdDialect) -> None:
        self.gateway = gateway
        self.auth = auth
        self.dialect = dialect
        self.settings = gateway.settings.ussd
        self._surfaces: dict[str | None, Surface] = {}
        self.meter = hop_meter(gateway.settings.metrics.enabled, "ussd", dialect.name)
        self.budget = HopBudget(HOP_BUDGET)

    def surface(self, network: str | None) -> Surface:
        """The pages this operator's network takes (its own cap where lower than the defaults)."""
        surface = self._surfaces.get(network)
        if surface is None:
            if len(self._surfaces) >= MAX_NETWORKS:  # network codes come from the caller: bounded
                self._surfaces.clear()
            surface = self._surfaces[network] = ussd_surface(*self.settings.limits(network))
        return surface

    async def handle(self, request: web.Request) -> web.Response:
        """One USSD hop in this dialect."""
        if not self.auth.allows(request):
            return web.Response(status=401, text="END Unauthorized")
        dialect = self.dialect
        try:
            inbound, network = dialect.parse(await _fields(request), self.settings.service_code)
        except ChannelError as exc:
            return web.Response(status=exc.status, text=f"END Bad request: {exc}")
        started = self.meter.start()
        try:
            with self.budget.within():  # not asyncio.timeout: a timer per hop (~29k instructions)
                reply = await self.gateway.ussd.hop(inbound, self.surface(network))
        except TimeoutError:
            log.warning("USSD hop over budget on %s", dialect.name)
            reply = SORRY
        self.meter.done(started, "over_budget" if reply is SORRY else outcome(reply))
        page = dialect.render(reply, inbound)
        return web.Response(text=page.body, content_type=page.content_type)


async def unknown_dialect(request: web.Request) -> web.Response:
    """A path under /ussd/ that names no dialect."""
    raise web.HTTPNotFound(text=f"unknown USSD dialect; known: {', '.join(DIALECTS)}")


def setup(app: web.Application) -> None:
    """Register POST /ussd/<dialect>: a plain route per dialect (found by the router without a
    pattern match), and the pattern for any other name, which is not found."""
    gateway = app[GATEWAY]
    auth = WebhookAuth(gateway.settings.ussd.auth, "USSD")
    auth.warn_if_open()
    app[AUTH] = auth
    for name, dialect in DIALECTS.items():
        app.router.add_post(f"/ussd/{name}", UssdHops(gateway, auth, dialect).handle)
    app.router.add_post("/ussd/{dialect}", unknown_dialect)
