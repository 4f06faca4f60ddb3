"""Liveness and readiness probes for load balancers and process managers."""

from __future__ import annotations

import asyncio
from multiprocessing.sharedctypes import Synchronized

from aiohttp import web

from gateway.runtime import GATEWAY, ReadyCheck

READY_TIMEOUT = 1.0
FAILED_STARTS = web.AppKey("failed_starts", Synchronized)
"""Under a supervisor: how many replacement workers in a row died at start (shared memory, 0 when well)."""


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and serving."""
    return web.json_response({"status": "ok"})


async def _check(check: ReadyCheck) -> bool:
    try:
        return bool(await asyncio.wait_for(check(), READY_TIMEOUT))
    except Exception:
        return False


async def readyz(request: web.Request) -> web.Response:
    """Every dependency answers; 503 naming the ones that do not. Advisory checks are reported
    but do not make the worker unready. `content_version`: the version this worker serves."""
    gateway = request.app[GATEWAY]
    checks = gateway.readiness.checks
    results = dict(zip(checks, await asyncio.gather(*(_check(c) for c in checks.values()))))
    ready = all(ok for name, ok in results.items() if name not in gateway.readiness.advisory)
    failed_starts = request.app.get(FAILED_STARTS)
    if failed_starts is not None:  # under `serve --workers N`: reported, never taking this healthy worker out
        results["workers"] = failed_starts.value == 0
    return web.json_response({"status": "ready" if ready else "not ready", "checks": results, "content_version": gateway.content.number},
                             status=200 if ready else 503)


def setup(app: web.Application) -> None:
    """Register /healthz and /readyz."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
