"""The console in a real Chromium (tests/browser.py): the gateway served on a real port (`served`, a
fixture every test can name: tests/conftest.py lists this module as a plugin), signing in
through the page as staff do, and one call that checks a page at a phone's and a desktop's width
(no horizontal overflow, the language's direction, every control labelled, readable contrast, no
CSP or script error) and saves its screenshots when PISHKHAN_SCREENSHOTS names a directory (the
README's pictures come from there: `PISHKHAN_SCREENSHOTS=tests/screenshots pytest -k browser`)."""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, Page
from console_pages import PASSWORD

from gateway.app import create_app
from gateway.settings import Settings


@pytest.fixture
async def served(aiohttp_server, aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    """The gateway on a real port that is also its public_base_url (links and form origins point at it);
    a test client on it (`served.make_url("/console")` is the address to give the browser)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    public = f"http://127.0.0.1:{port}"
    settings = dataclasses.replace(settings, server=dataclasses.replace(settings.server, public_base_url=public))
    server = await aiohttp_server(await create_app(settings), port=port)
    return await aiohttp_client(server)


async def sign_in_with(page: Page, base: str, name: str, password: str = PASSWORD) -> None:
    """Sign in on the console's page as a person does: type the name and password, press the button."""
    await page.go(f"{base}/console/login")
    await page.fill("name", name)
    await page.fill("password", password)
    await page.submit("main form")
    assert "/console/login" not in await page.url(), await page.text()


async def problems_here(page: Page, lang: str) -> list[str]:
    """What is wrong with the page as it stands, at the width it is shown: for a page that cannot be
    opened again by its address (a token shown once)."""
    found: list[str] = []
    for check in (page.horizontal_overflow(), page.direction(lang), page.unlabelled_controls(), page.low_contrast()):
        found += await check
    return found


async def looks_right(page: Page, url: str, lang: str, shot: str | None = None) -> None:
    """Open `url` at 360 px and at 1280 px and fail listing every problem found: overflow, direction,
    unlabelled controls, low contrast, page errors. With PISHKHAN_SCREENSHOTS set, save
    `<shot>-<lang>-<width>.png` there."""
    problems: list[str] = []
    for width in (PHONE, DESKTOP):
        await page.viewport(width)
        await page.go(url)
        problems += [f"{width} px: {problem}" for problem in await problems_here(page, lang)]
        folder = os.environ.get("PISHKHAN_SCREENSHOTS")
        if folder and shot:
            await page.screenshot(Path(folder) / f"{shot}-{lang}-{width}.png")
    problems += await page.console_errors()
    assert not problems, "\n".join(problems)
