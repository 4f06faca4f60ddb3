"""A fake Kannel smsbox speaking its real HTTP interfaces, for tests.

GET /cgi-bin/sendsms?username&password&from&to&text&charset&coding&dlr-mask&dlr-url
  -> 202 `0: Accepted for delivery`; 403 `Authorization failed for sendsms`;
     400 `Missing receiver number, rejected`. `fail_next` answers the next calls with given statuses
     (503 `Sending failed.`); `delay` makes it slow; stopping the server makes it unreachable.
`report(call, 8, 1)` plays the SMSC's delivery reports: GET the call's dlr-url with `%d`/`%A` filled in.
`mo(url_template, ...)` plays an sms-service get-url for a citizen's text, escape codes filled in.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp
from aiohttp import web

USERNAME, PASSWORD = "pishkhan", "kannel-pass"
SMSC_ANSWER = {1: "stat:DELIVRD err:000", 2: "stat:UNDELIV err:001", 4: "", 8: "ACK/", 16: "NACK/0x0000000b/Invalid Destination Address"}


@dataclass
class FakeKannel:
    """The fake's state; `app()` serves it."""

    calls: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    delay: float = 0.0

    async def _sendsms(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        self.calls.append(params)
        self.times.append(time.monotonic())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_next:
            status = self.fail_next.pop(0)
            return web.Response(status=status, text="Sending failed." if status >= 500 else "Rejected")
        if params.get("username") != USERNAME or params.get("password") != PASSWORD:
            return web.Response(status=403, text="Authorization failed for sendsms")
        if not params.get("to"):
            return web.Response(status=400, text="Missing receiver number, rejected")
        return web.Response(status=202, text="0: Accepted for delivery")

    def app(self) -> web.Application:
        """The smsbox HTTP interface."""
        app = web.Application()
        app.router.add_get("/cgi-bin/sendsms", self._sendsms)
        return app

    async def report(self, call: dict[str, str], *types: int) -> list[int]:
        """GET the call's dlr-url once per DLR type, as Kannel does; the HTTP statuses we got."""
        statuses = []
        async with aiohttp.ClientSession() as http:
            for kind in types:
                url = call["dlr-url"].replace("%d", str(kind)).replace("%A", quote(SMSC_ANSWER.get(kind, "")))
                async with http.get(url) as response:
                    statuses.append(response.status)
        return statuses

    @staticmethod
    async def mo(template: str, *, sender: str, receiver: str, text: str, message_id: str, ucs2: bool = False) -> tuple[int, str]:
        """A citizen's text through an sms-service get-url (`%p %P %a %b %I %c %C`); (status, body).
        With `ucs2` the text arrives as UTF-16BE bytes (`%b`, coding 2), as without mo-recode. `%a` is
        the words joined by `+` as Kannel makes it, split on space bytes even inside UCS-2 characters."""
        data = text.encode("utf-16-be") if ucs2 else text.encode()
        codes = {"p": quote(sender), "P": quote(receiver), "I": quote(message_id), "a": "+".join(map(quote, data.split())), "b": quote(data),
                 "c": "2" if ucs2 else "0", "C": "UTF-16BE" if ucs2 else "UTF-8"}
        url = re.sub(r"%([a-zA-Z])", lambda m: codes.get(m.group(1), m.group(0)), template)  # one pass, as Kannel does
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                return response.status, await response.text()
