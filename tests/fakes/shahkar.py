"""A fake Shahkar-style ownership check (ServiceIDMatching) speaking the JSON the gateway's provider speaks.

POST /ServiceIDMatching, HTTP Basic `USERNAME`/`PASSWORD`, JSON
  {"requestId", "serviceNumber": "09…", "serviceType": 2, "identificationType": 0, "identificationNo": "<code>"}
  -> 200 {"requestId", "response": 200, "result": "OK.", "comment": ...} when `owners[serviceNumber] == code`
     200 {"requestId", "response": 600, "result": "Not matched", ...} otherwise
     401 {"response": 401, "result": "Unauthorized"} for other credentials
     400 {"response": 400, ...} for a body missing a field or with other types
`fail_with = 503` answers that HTTP status; `hang = True` keeps every call waiting until `release()`
(a provider that times out). `calls` records the bodies and the Authorization header seen.

The fixture `shahkar` (a plugin of tests/conftest.py) serves it on a local port and gives (fake, base URL).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import BasicAuth, web

USERNAME = "pishkhan-agency"
PASSWORD = "s3cret-shahkar-pass"
FIELDS = {"requestId": str, "serviceNumber": str, "serviceType": int, "identificationType": int, "identificationNo": str}


@dataclass
class FakeShahkar:
    """The fake's registry and switches; `app()` serves it."""

    owners: dict[str, str] = field(default_factory=dict)
    """National number (09…) -> the national code it is registered to."""
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None
    hang: bool = False
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        """Let hanging calls end (the test's teardown)."""
        self._released.set()

    async def _match(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append({"body": body, "authorization": request.headers.get("Authorization", "")})
        if self.hang:
            await self._released.wait()
        if self.fail_with:
            return web.Response(status=self.fail_with, text="Service Unavailable")
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            auth = None
        if auth is None or (auth.login, auth.password) != (USERNAME, PASSWORD):
            return web.json_response({"response": 401, "result": "Unauthorized", "requestId": body.get("requestId")}, status=401)
        if not isinstance(body, dict) or any(not isinstance(body.get(k), t) for k, t in FIELDS.items()) or body["serviceType"] != 2:
            return web.json_response({"response": 400, "result": "Bad request"}, status=400)
        matched = self.owners.get(body["serviceNumber"]) == body["identificationNo"]
        return web.json_response({"requestId": body["requestId"], "response": 200 if matched else 600,
                                  "result": "OK." if matched else "Not matched", "comment": ""})

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/ServiceIDMatching", self._match)
        return app


@pytest.fixture
async def shahkar(aiohttp_server):  # type: ignore[no-untyped-def]
    """The fake served on a local port, and its base URL; hanging calls are let go at the end."""
    fake = FakeShahkar()
    server = await aiohttp_server(fake.app())
    yield fake, str(server.make_url("")).rstrip("/")
    fake.release()
