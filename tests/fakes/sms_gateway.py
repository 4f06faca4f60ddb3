"""The gateway wired to a fake Kannel and a fake Jasmin on local ports, for SMS tests.

Short number 4000 is served by Kannel (flow main:home), 4001 by Jasmin (main:track). The gateway
listens on a known port so the fakes can call its webhooks back, as real aggregators do.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, unused_port
from fakes import jasmin as fake_jasmin
from fakes import kannel as fake_kannel
from fakes.jasmin import FakeJasmin
from fakes.kannel import FakeKannel
from waiting import eventually

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.app import GATEWAY, Gateway, create_app
from gateway.settings import Settings

KANNEL_SECRET = "k-secret-1"
JASMIN_SECRET = "j-secret-2"
ALI = "+989121234567"


def sms_settings(settings: Settings, kannel_url: str, jasmin_url: str, public_url: str, **overrides: Any) -> Settings:
    """The shipped settings with both providers pointed at the fakes."""
    sms = dict(settings.source["sms"])
    providers = {
        "kannel": {**sms["providers"]["kannel"], "base_url": kannel_url, "username": fake_kannel.USERNAME,
                   "password": fake_kannel.PASSWORD, "secret": KANNEL_SECRET, "timeout": 0.5, "rate": 200, "burst": 50},
        "jasmin": {**sms["providers"]["jasmin"], "base_url": jasmin_url, "username": fake_jasmin.USERNAME,
                   "password": fake_jasmin.PASSWORD, "secret": JASMIN_SECRET, "timeout": 0.5, "rate": 200, "burst": 50},
    }
    for name, changes in overrides.pop("providers", {}).items():
        providers[name].update(changes)
    sms.update(providers=providers, **overrides)
    return settings.updated({"server": {"public_base_url": public_url}, "sms": sms})


APPLY_FA = ["1", "1", "1", "1", "1", "0499370899", "۱۳۷۵/۰۶/۲۱", "1"]
"""By SMS in Persian: services, civil registry, smart ID card, first issue, apply, national code,
birth date, confirm (a fee of 300,000 rials)."""


@dataclass
class SmsRig:
    """The running gateway and the fakes around it."""

    client: TestClient
    kannel: FakeKannel
    jasmin: FakeJasmin
    base: str

    @property
    def gateway(self) -> Gateway:
        return self.client.app[GATEWAY]

    def kannel_get_url(self, secret: str = KANNEL_SECRET) -> str:
        """The sms-service get-url an operator configures in Kannel."""
        return f"{self.base}/sms/inbound/kannel?secret={secret}&id=%I&sender=%p&receiver=%P&text=%b&coding=%c&charset=%C"

    def jasmin_url(self, secret: str = JASMIN_SECRET) -> str:
        """The HTTP connector baseurl an operator configures in Jasmin."""
        return f"{self.base}/sms/inbound/jasmin?secret={secret}"

    async def text(self, body: str, *, sender: str = ALI, to: str = "4000", message_id: str | None = None) -> tuple[int, str]:
        """A citizen texts a short number through Kannel."""
        message_id = message_id or f"k-{time.monotonic_ns()}"
        return await self.kannel.mo(self.kannel_get_url(), sender=sender, receiver=to, text=body, message_id=message_id,
                                    ucs2=not body.isascii())

    async def reply_row(self, message_id: str, **where: Any) -> list[dict[str, Any]]:
        """The outbox row of the reply to one incoming text (a receipt is keyed as the receipt, so by its meta)."""
        return [r for r in await self.outbox(kind="reply", **where) if json.loads(r["meta"]).get("message_id") == message_id]

    async def outbox(self, **where: Any) -> list[dict[str, Any]]:
        """Outbox rows, oldest first, filtered by column values."""
        rows = await self.gateway.db.fetchall("SELECT * FROM outbox ORDER BY id")
        return [r for r in rows if all(r[k] == v for k, v in where.items())]

    async def make_due(self) -> None:
        """Skip a retry's backoff instead of sleeping through it."""
        await self.gateway.db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'")
        self.gateway.outbox.wake.set()

    async def reply_to(self, body: str, **kwargs: Any) -> str:
        """Text the gateway through Kannel and wait for Kannel to be asked to send the reply."""
        message_id = kwargs.pop("message_id", None) or f"k-{time.monotonic_ns()}"
        status, _ = await self.text(body, message_id=message_id, **kwargs)
        assert status == 200
        [row] = await eventually(lambda: self.reply_row(message_id, state="sent"))
        return self.sent_text(row["id"])

    def sent_text(self, outbox_id: int) -> str:
        """The text Kannel was asked to send for an outbox row (our reference is in its dlr-url)."""
        [call] = [c for c in self.kannel.calls if f"ref={outbox_id}&" in c["dlr-url"]][-1:]
        return call["text"]


async def start_rig(aiohttp_server, aiohttp_client, settings: Settings, clock: Clock = SYSTEM_CLOCK, **overrides: Any) -> SmsRig:  # type: ignore[no-untyped-def]
    """Start both fakes and the gateway (reading `clock`: a test's ManualClock moves it)."""
    kannel, jasmin = FakeKannel(), FakeJasmin()
    kannel_server = await aiohttp_server(kannel.app())
    jasmin_server = await aiohttp_server(jasmin.app())
    port = unused_port()
    base = f"http://127.0.0.1:{port}"
    configured = sms_settings(settings, str(kannel_server.make_url("")).rstrip("/"), str(jasmin_server.make_url("")).rstrip("/"),
                              base, **overrides)
    server = await aiohttp_server(await create_app(configured, clock=clock), port=port)
    return SmsRig(await aiohttp_client(server), kannel, jasmin, base)


@pytest.fixture
async def rig(aiohttp_server, aiohttp_client, settings: Settings) -> SmsRig:  # type: ignore[no-untyped-def]
    """The gateway between a fake Kannel and a fake Jasmin."""
    return await start_rig(aiohttp_server, aiohttp_client, settings)
