"""The aiohttp application of a running gateway: every route, JSON errors, and the background loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.api import mount as api
from gateway.assembly import open_gateway
from gateway.console import mount as console
from gateway.idempotency_purge import IdempotencyPurge
from gateway.observability import endpoint as metrics
from gateway.payments.sweeper import Sweeper
from gateway.privacy import page as privacy_page
from gateway.privacy.retention import RetentionJob
from gateway.read_timeout import whole_body
from gateway.requests.repair import NotifyRepair
from gateway.routes import health, payments, sms, telegram, ussd
from gateway.runtime import GATEWAY, Gateway
from gateway.settings import Settings
from gateway.store import StoreError

log = logging.getLogger(__name__)


def guarded(read_timeout: float) -> Middleware:
    """The app's one middleware (each layer costs every request a coroutine and a call; this one is
    two jobs in one): a body still arriving gets `read_timeout` seconds to arrive whole (else 408,
    `gateway.read_timeout`), and unexpected errors become a JSON 500 without a traceback; HTTP errors
    pass through; a store that cannot be reached (PostgreSQL restarting) is a 503 the caller may retry."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if not request.content.is_eof():
                await whole_body(request, read_timeout)
            return await handler(request)
        except web.HTTPException:
            raise
        except StoreError as error:
            log.warning("store unavailable on %s %s: %s", request.method, request.path, error)
            return web.json_response({"error": {"code": "store_unavailable", "message": "the store is unavailable; try again shortly"}},
                                     status=503, headers={"Retry-After": "5"})
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return web.json_response({"error": {"code": "internal", "message": "internal error"}}, status=500)

    return guard


def follows_on_sighup(gateway: Gateway) -> None:
    """SIGHUP looks at the live content version in the store at once (never stops the server): what an
    operator's habit of `kill -HUP` should do when citizens are served from published versions."""

    def look() -> None:
        log.info("SIGHUP: looking up the live content version (serving version %d)", gateway.content.number)
        task = asyncio.get_running_loop().create_task(gateway.watcher.follow())
        task.add_done_callback(_report)

    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off the main thread (tests' servers)
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, look)


def _report(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("SIGHUP: could not look up the live content version: %s", task.exception())


def build_app(gateway: Gateway) -> web.Application:
    """The aiohttp application with every route registered."""
    server = gateway.settings.server
    app = web.Application(client_max_size=server.max_body_bytes, middlewares=[guarded(server.read_timeout)])
    app[GATEWAY] = gateway
    for module in (health, ussd, sms, telegram, api, payments, console, metrics, privacy_page):
        module.setup(app)

    async def background(_: web.Application) -> AsyncIterator[None]:
        follows_on_sighup(gateway)
        gateway.watcher.start()
        gateway.dispatcher.start()
        sweeper = Sweeper(gateway.payments, gateway.db, gateway.payments.settings.sweep_interval)
        sweeper.start()
        repair = NotifyRepair(gateway.requests)
        repair.start()
        complaints_repair = NotifyRepair(gateway.complaints)
        complaints_repair.start()
        gateway.identity.retry.start()
        gateway.analytics.start()
        retention = RetentionJob(gateway.privacy, gateway.privacy.clock)
        retention.start()
        idempotency_purge = IdempotencyPurge(gateway.idempotency)
        idempotency_purge.start()
        yield
        await idempotency_purge.stop()
        await retention.stop()
        await gateway.analytics.stop()  # its last flush, while the store is still open
        await gateway.identity.retry.stop()
        await complaints_repair.stop()
        await repair.stop()
        await sweeper.stop()
        await gateway.dispatcher.stop()
        await gateway.watcher.stop()
        await gateway.close()

    app.cleanup_ctx.append(background)
    return app


async def create_app(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> web.Application:
    """Open the gateway and build its application (what `pishkhan serve` runs); `clock` is for tests."""
    return build_app(await open_gateway(settings, clock=clock))
