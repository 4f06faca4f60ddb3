"""A fake Zarinpal v4 payment gateway speaking the real JSON, for tests.

POST /pg/v4/payment/request.json {merchant_id, amount, callback_url, description, metadata}
  -> {"data": {"code": 100, "message": "Success", "authority": "A000...", "fee_type": "Merchant", "fee": 0}, "errors": []}
GET  /pg/StartPay/<authority>  the bank page; `pay()` / `cancel()` act as the payer on it and give
  the callback URL the bank would redirect to (`?Authority=...&Status=OK|NOK`).
POST /pg/v4/payment/verify.json {merchant_id, amount, authority}
  -> data.code 100 (first verify) / 101 (already verified) with ref_id and card_pan, or
     {"data": [], "errors": {"code": -50|-51|-54, "message": ...}}.
`fail_with = 502` makes every API call answer that HTTP status; stopping the server makes it unreachable.

Fixtures for test modules to import: `fake` (the bank, served locally, and its base URL) and `zclient`
(the gateway's app with `payments.provider: zarinpal` pointing at it, `verify_after` 0).
"""

from __future__ import annotations

import itertools
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.settings import Settings

MERCHANT = "1344b5d4-0048-11e8-94db-005056a205be"


@dataclass
class Session:
    """One authority in the fake bank's books."""

    amount: int
    callback_url: str
    description: str
    state: str = "new"  # new | paid | cancelled | verified
    paid_amount: int | None = None
    ref_id: int | None = None


@dataclass
class FakeZarinpal:
    """The fake's state; `app()` serves it."""

    merchant_id: str = MERCHANT
    sessions: dict[str, Session] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_with: int | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(217885159))

    def _error(self, code: int, message: str, status: int = 200) -> web.Response:
        return web.json_response({"data": [], "errors": {"code": code, "message": message, "validations": []}}, status=status)

    async def _request(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("request", body))
        if self.fail_with:
            return web.Response(status=self.fail_with, text="Bad Gateway")
        if body.get("merchant_id") != self.merchant_id:
            return self._error(-9, "The input params invalid, validation error.", 400)
        amount = body.get("amount")
        if not isinstance(amount, int) or amount < 1000 or not body.get("callback_url") or not body.get("description"):
            return self._error(-9, "The input params invalid, validation error.", 400)
        authority = f"A{next(self._ids):035d}"
        self.sessions[authority] = Session(amount, body["callback_url"], body["description"])
        return web.json_response({"data": {"code": 100, "message": "Success", "authority": authority, "fee_type": "Merchant", "fee": 0},
                                  "errors": []})

    async def _verify(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("verify", body))
        if self.fail_with:
            return web.Response(status=self.fail_with, text="Bad Gateway")
        if body.get("merchant_id") != self.merchant_id:
            return self._error(-9, "The input params invalid, validation error.", 400)
        session = self.sessions.get(str(body.get("authority")))
        if session is None:
            return self._error(-54, "Invalid authority.")
        if session.state not in ("paid", "verified"):
            return self._error(-51, "Session is not valid, session is not active paid try.")
        if body.get("amount") != session.paid_amount:
            return self._error(-50, "Session is not valid, amounts values is not the same.")
        code = 101 if session.state == "verified" else 100
        session.state = "verified"
        card_hash = "1EBE3EBEBE35C7EC0F8D6EE4F2F859107A87822CA179BC9528767EA7B5489B69"
        return web.json_response({"data": {"code": code, "message": "Verified" if code == 100 else "Paid", "card_hash": card_hash,
                                           "card_pan": "502229******5995", "ref_id": session.ref_id, "fee_type": "Merchant", "fee": 0},
                                  "errors": []})

    async def _start_pay(self, request: web.Request) -> web.Response:
        session = self.sessions.get(request.match_info["authority"])
        if session is None:
            return web.Response(status=404, text="Invalid authority")
        return web.Response(text=f"<html><body><h1>Zarinpal</h1><p>{session.amount} IRR</p></body></html>", content_type="text/html")

    def _back(self, authority: str, ok: bool) -> str:
        session = self.sessions[authority]
        joiner = "&" if "?" in session.callback_url else "?"
        return f"{session.callback_url}{joiner}{urllib.parse.urlencode({'Authority': authority, 'Status': 'OK' if ok else 'NOK'})}"

    def pay(self, authority: str, amount: int | None = None) -> str:
        """The payer pays (`amount` other than asked simulates a tampered payment); the callback URL."""
        session = self.sessions[authority]
        session.state, session.paid_amount = "paid", session.amount if amount is None else amount
        session.ref_id = 201 + len(self.sessions) * 1000
        return self._back(authority, True)

    def cancel(self, authority: str) -> str:
        """The payer cancels on the bank page; the callback URL."""
        self.sessions[authority].state = "cancelled"
        return self._back(authority, False)

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/pg/v4/payment/request.json", self._request)
        app.router.add_post("/pg/v4/payment/verify.json", self._verify)
        app.router.add_get("/pg/StartPay/{authority}", self._start_pay)
        return app


def with_zarinpal(settings: Settings, base_url: str) -> Settings:
    """`settings` with Zarinpal at `base_url` as the payment provider, verified as soon as asked."""
    return settings.updated({"payments": {"provider": "zarinpal", "verify_after": 0,
                                          "zarinpal": {"base_url": base_url, "merchant_id": MERCHANT, "timeout": 2}}})


@pytest.fixture
async def fake(aiohttp_server) -> tuple[FakeZarinpal, str]:  # type: ignore[no-untyped-def]
    """The fake bank served on a local port, and its base URL."""
    bank = FakeZarinpal()
    server = await aiohttp_server(bank.app())
    return bank, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def zclient(aiohttp_client, settings: Settings, fake):  # type: ignore[no-untyped-def]
    """A test client of the gateway paying through the fake bank."""
    return await aiohttp_client(await create_app(with_zarinpal(settings, fake[1])))
