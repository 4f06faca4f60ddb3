"""An agency's system receiving Pishkhan's events, as a Standard Webhooks consumer does: it checks
each delivery's signature with its secret (written here from the specification, apart from the
gateway's signing code), refuses timestamps over five minutes from its own clock, drops repeats by
`webhook-id`, and can go down (stop listening) and come back on the same port."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOLERANCE = 300.0
"""Seconds a delivery's timestamp may be off the receiver's clock (the specification's 5 minutes)."""


@dataclass
class Received:
    """One accepted delivery."""

    webhook_id: str
    timestamp: int
    body: dict[str, Any]


@dataclass
class WebhookReceiver:
    """The receiver; `secret` is set once the subscription is made (the gateway shows it once)."""

    clock: Callable[[], float]
    secret: str = ""
    answer: int = 204
    """What an authentic delivery is answered with; only a 2xx one is kept (503: the system is failing, 410: it wants no more)."""
    events: list[Received] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pishkhan/events"

    def verified(self, webhook_id: str, timestamp: str, signatures: str, body: bytes) -> str | None:
        """Why the delivery is refused, or None when it is authentic and fresh."""
        if not (webhook_id and timestamp.isdigit() and signatures):
            return "missing headers"
        if abs(self.clock() - int(timestamp)) > TOLERANCE:
            return f"stale timestamp {timestamp}"
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        expected = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        for entry in signatures.split(" "):
            version, _, value = entry.partition(",")
            if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
                return None
        return "no matching signature"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        h = request.headers
        why = self.verified(h.get("webhook-id", ""), h.get("webhook-timestamp", ""), h.get("webhook-signature", ""), body)
        if why is not None:
            self.refused.append(why)
            return web.Response(status=400, text=why)
        if not 200 <= self.answer < 300:
            return web.Response(status=self.answer)
        if any(e.webhook_id == h["webhook-id"] for e in self.events):
            self.repeats.append(h["webhook-id"])
        else:
            self.events.append(Received(h["webhook-id"], int(h["webhook-timestamp"]), json.loads(body)))
        return web.Response(status=self.answer)

    async def up(self) -> None:
        """Listen (again, on the same port)."""
        app = web.Application()
        app.router.add_post("/pishkhan/events", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def down(self) -> None:
        """Stop listening: connections are refused until `up`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def types(self) -> list[tuple[str, str]]:
        """(type, subject code) of every accepted event, in arrival order."""
        return [(e.body["type"], e.body["data"].get("tracking_code") or e.body["data"].get("code")) for e in self.events]
