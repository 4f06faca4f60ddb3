"""The sandbox pay flow in a real headless Chromium (tests/browser.py): the citizen opens the SMS
link, presses pay, pays at the sandbox bank and lands on the receipt; the page's own stylesheet
passes our CSP and the Persian page is right to left."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from browser import Page, needs_chromium
from fakes.payer import apply_by_ussd, outbox

from gateway.app import GATEWAY, create_app
from gateway.settings import Settings

pytestmark = needs_chromium


@pytest.fixture
async def served(aiohttp_server, aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    """The gateway on a real port that is also its public_base_url (the links must point at it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    public = f"http://127.0.0.1:{port}"
    settings = dataclasses.replace(settings, server=dataclasses.replace(settings.server, public_base_url=public))
    server = await aiohttp_server(await create_app(settings), port=port)
    return await aiohttp_client(server)


async def test_a_citizen_pays_in_the_sandbox_with_chromium(served, page: Page) -> None:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(served)
    [link] = await outbox(served, "payment_link")
    await page.go(link["meta"]["url"])
    assert await page.js("document.querySelector('h1').innerText") == "Pay the fee"
    assert code in await page.js("document.body.innerText")
    # the inline stylesheet is allowed by its CSP hash (a blocked one would leave the button grey)
    assert await page.js("getComputedStyle(document.querySelector('button')).backgroundColor") == "rgb(11, 110, 79)"

    await page.click_selector("form button")
    assert "/pay/sandbox/S" in await page.js("location.href")
    assert "Sandbox bank" in await page.js("document.body.innerText")
    await page.click_selector("button[value=pay]")
    text = await page.js("document.body.innerText")
    assert "/pay/callback/sandbox?Authority=" in await page.js("location.href")
    assert "Paid" in text and "Reference" in text
    assert (await served.app[GATEWAY].requests.get(code)).payment_state == "paid"

    await page.go(link["meta"]["url"] + "?lang=fa")
    assert await page.js("document.documentElement.dir") == "rtl"
    assert "پرداخت انجام شد" in await page.js("document.body.innerText")
