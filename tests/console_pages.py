"""Driving the operator console the way a browser does, over HTTP: accounts made through the store,
sign-in through the real form (its double-submit token), and each page's form token (CSRF) read
from the page itself. For the console's integration tests; the browser tests use tests/browser.py."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.app import GATEWAY
from gateway.console.users import User, UserStore

PASSWORD = "correct horse battery"
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def users_of(client: TestClient) -> UserStore:
    """The account store of the gateway behind `client`, on the gateway's own clock."""
    gateway = client.app[GATEWAY]
    return UserStore(gateway.db, gateway.settings.console, gateway.requests.clock)


async def make_user(client: TestClient, name: str, role: str = "operator", *, password: str = PASSWORD, language: str = "fa") -> User:
    """An account, as `pishkhan users create` makes it."""
    return await users_of(client).create(name, role, password, actor="cli:test", language=language)


async def sign_in(client: TestClient, name: str, password: str = PASSWORD, *, next_page: str | None = None,
                  headers: dict[str, str] | None = None) -> Any:
    """Open the sign-in page and send its form (with `headers`); the answer (a 303 on success, not followed)."""
    page = await client.get("/console/login")
    token = _FORM_TOKEN.search(await page.text())
    assert token, "the sign-in page has no form token"
    form = {"form_token": token.group(1), "name": name, "password": password}
    if next_page is not None:
        form["next"] = next_page
    return await client.post("/console/login", data=form, headers=headers, allow_redirects=False)


async def csrf_of(client: TestClient, path: str = "/console") -> str:
    """The form token a page of the console carries (the session's)."""
    page = await client.get(path)
    assert page.status == 200, (path, page.status)
    found = _CSRF.search(await page.text())
    assert found, f"{path} has no form token"
    return found.group(1)


async def post_form(client: TestClient, path: str, data: dict[str, str], *, page: str = "/console") -> Any:
    """Send a console form with the session's token, as the page `page` would; the answer, not followed."""
    return await client.post(path, data={"csrf": await csrf_of(client, page), **data}, allow_redirects=False)

