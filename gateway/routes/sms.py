"""SMS webhooks: texts in (`/sms/inbound/<provider>`) and delivery reports (`/sms/dlr/<provider>`).

Each configured provider authenticates with its own shared secret (header or query, compared in
constant time) and/or address list. Bodies are bounded. The answer is what the provider's
dialect expects (Jasmin: exactly `ACK/Jasmin`), duplicates included, so it stops retrying; a text
whose turn failed before its reply was queued is answered 503 instead, so it is sent again.
"""

from __future__ import annotations

import logging

from aiohttp import web

from channels.sms import RETRY, Ack, SmsDialect, WireRequest, dialect_for
from flows.errors import ChannelError
from gateway.observability.hops import HopMeter, hop_meter
from gateway.runtime import GATEWAY
from gateway.sms.service import RetryLater, SmsService
from gateway.sms.settings import SmsSettings
from gateway.webhook_auth import WebhookAuth

log = logging.getLogger(__name__)

SMS = web.AppKey("sms", SmsService)
PROVIDERS = web.AppKey("sms_providers", dict)
"""provider name -> (dialect, WebhookAuth)"""
METER = web.AppKey("sms_meter", HopMeter)


def _answer(ack: Ack) -> web.Response:
    return web.Response(status=ack.status, text=ack.body, content_type=ack.content_type)


async def _wire(request: web.Request, limit: int) -> WireRequest:
    """The request, its body read up to `limit` bytes (413 beyond)."""
    if not request.body_exists:  # Kannel's get-url: all in the query
        return WireRequest(request.rel_url.raw_query_string, b"", "", request.headers)
    if request.content_length is not None and request.content_length > limit:
        raise ChannelError(f"body over {limit} bytes", status=413)
    body = bytearray()
    async for chunk in request.content.iter_chunked(4096):  # a chunked body has no length to check first
        body += chunk
        if len(body) > limit:
            raise ChannelError(f"body over {limit} bytes", status=413)
    return WireRequest(request.rel_url.raw_query_string, bytes(body), request.content_type if body else "", request.headers)


def _provider(request: web.Request) -> tuple[str, SmsDialect]:
    """The provider named in the path, once its request is authenticated (404 / 401 otherwise)."""
    name = request.match_info["provider"]
    found = request.app[PROVIDERS].get(name)
    if found is None:
        raise web.HTTPNotFound(text="unknown SMS provider; configure it under sms.providers")
    dialect, auth = found
    refusal = auth.refusal(request)
    if refusal is not None:
        log.warning("SMS webhook for %s refused: %s", name, refusal)
        raise web.HTTPUnauthorized(text="unauthorized")
    return name, dialect


async def inbound(request: web.Request) -> web.Response:
    """A citizen's text: parse, dedupe, answer within the budget, acknowledge (or ask for it again)."""
    name, dialect = _provider(request)
    service, meter = request.app[SMS], request.app[METER]
    started = meter.start()
    try:
        mo = dialect.parse_mo(await _wire(request, service.settings.max_body_bytes))
        await service.handle(name, mo)
    except ChannelError as exc:
        log.warning("SMS from %s refused: %s", name, exc)
        return web.Response(status=exc.status, text=f"bad request: {exc}")
    except RetryLater:  # the service logged why
        meter.done(started, "retry_later")
        return _answer(RETRY)
    meter.done(started, "answered")
    return _answer(dialect.ack)


async def delivery_report(request: web.Request) -> web.Response:
    """A delivery report: apply it (order and repeats do not matter), acknowledge."""
    name, dialect = _provider(request)
    service = request.app[SMS]
    try:
        report = dialect.parse_dlr(await _wire(request, service.settings.max_body_bytes))
    except ChannelError as exc:
        log.warning("SMS report from %s refused: %s", name, exc)
        return web.Response(status=exc.status, text=f"bad request: {exc}")
    await service.report(name, report)
    return _answer(dialect.ack)


def setup(app: web.Application) -> None:
    """Register the SMS routes (GET too: Kannel calls get-url and dlr-url with GET)."""
    service = app[GATEWAY].sms
    settings: SmsSettings = service.settings
    providers = {}
    for name, provider in settings.providers.items():
        auth = WebhookAuth(provider.auth, f"SMS provider {name}")
        auth.warn_if_open()
        providers[name] = (dialect_for(provider.type), auth)
    app[SMS] = service
    app[PROVIDERS] = providers
    app[METER] = hop_meter(app[GATEWAY].settings.metrics.enabled, "sms")
    for method in ("GET", "POST"):
        app.router.add_route(method, "/sms/inbound/{provider}", inbound)
        app.router.add_route(method, "/sms/dlr/{provider}", delivery_report)
