"""A fake Jasmin SMS gateway speaking its real HTTP API, for tests.

POST /send (form: username, password, to, from, coding, content, dlr, dlr-url, dlr-level, dlr-method)
  -> 200 `Success "<uuid>"`; 403 `Error "Authentication failure for username:<u>"`;
     400 `Error "Mandatory arguments not found, please refer to the HTTPAPI specifications."`;
     `fail_next` statuses (500 `Error "Cannot send submit_sm, ..."`). Content with coding=8 is UTF-16BE.
`report(message_id, "DELIVRD", level=2)` plays the DLR thrower (POST to the dlr-url); `mo(url, ...)`
plays the deliverSm HTTP thrower. Both record whether the answer was exactly `ACK/Jasmin`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

USERNAME, PASSWORD = "pishkhan", "jasmin-pass"
ACK = "ACK/Jasmin"


@dataclass
class FakeJasmin:
    """The fake's state; `app()` serves it."""

    calls: list[dict[str, str]] = field(default_factory=list)
    sent: dict[str, dict[str, str]] = field(default_factory=dict)
    """message id -> the call that produced it"""
    fail_next: list[int] = field(default_factory=list)
    acks: list[bool] = field(default_factory=list)

    async def _send(self, request: web.Request) -> web.Response:
        raw = dict(parse_qsl((await request.read()).decode("latin-1"), encoding="latin-1"))
        raw.update({k: v for k, v in request.query.items() if k not in raw})
        coding = raw.get("coding", "0")
        content = raw.get("content", "").encode("latin-1")
        params = {k: v.encode("latin-1").decode("utf-8", "replace") for k, v in raw.items()}
        params["content"] = content.decode("utf-16-be" if coding == "8" else "utf-8")
        self.calls.append(params)
        if self.fail_next:
            status = self.fail_next.pop(0)
            return web.Response(status=status, text='Error "Cannot send submit_sm, check SMPPClientManagerPB log file for details"')
        if params.get("username") != USERNAME or params.get("password") != PASSWORD:
            return web.Response(status=403, text=f'Error "Authentication failure for username:{params.get("username", "")}"')
        if not params.get("to") or "content" not in raw:
            return web.Response(status=400, text='Error "Mandatory arguments not found, please refer to the HTTPAPI specifications."')
        message_id = str(uuid.uuid4())
        self.sent[message_id] = params
        return web.Response(text=f'Success "{message_id}"')

    def app(self) -> web.Application:
        """The ja-http interface."""
        app = web.Application()
        app.router.add_route("*", "/send", self._send)
        return app

    async def _post(self, url: str, fields: dict[str, str | bytes]) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=urlencode(fields).encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
                body = await response.text()
        self.acks.append(response.status == 200 and body == ACK)
        return response.status, body

    async def report(self, message_id: str, status: str, *, level: int = 3) -> tuple[int, str]:
        """One DLR for a sent message, at its dlr-url with its dlr-method (POST)."""
        call = self.sent[message_id]
        fields: dict[str, str | bytes] = {"id": message_id, "message_status": status, "level": str(level)}
        if not status.startswith("ESME_"):
            fields.update({"id_smsc": "2567", "subdate": "2611231200", "donedate": "2611231201", "sub": "001",
                           "dlvrd": "001" if status == "DELIVRD" else "000", "err": "000", "text": call["content"][:20]})
        return await self._post(call["dlr-url"], fields)

    async def mo(self, url: str, *, sender: str, receiver: str, text: str, message_id: str | None = None) -> tuple[int, str]:
        """A citizen's text, as Jasmin 0.11's deliverSm thrower posts it: the SMSC's bytes in
        `content` and again in hex in `binary`, and `coding` as the raw data_coding octet
        (b"\\x08" for UCS-2 as UTF-16BE; b"\\x00" for GSM 03.38, here plain ASCII letters)."""
        ucs2 = not text.isascii()
        content = text.encode("utf-16-be") if ucs2 else text.encode("ascii")
        fields: dict[str, str | bytes] = {
            "id": message_id or str(uuid.uuid4()), "from": sender, "to": receiver, "origin-connector": "smppc01",
            "content": content, "binary": content.hex(), "priority": "0", "coding": b"\x08" if ucs2 else b"\x00",
        }
        return await self._post(url, fields)
