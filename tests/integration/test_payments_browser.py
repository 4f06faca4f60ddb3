"""The sandbox pay flow in a real headless Chromium (Debian's `chromium`), driven over the Chrome
DevTools Protocol with aiohttp's websocket client: the citizen opens the SMS link, presses pay,
pays at the sandbox bank and lands on the receipt; the page's own stylesheet passes our CSP and the
Persian page is right to left."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.payer import apply_by_ussd, outbox
from waiting import eventually

from gateway.app import GATEWAY, create_app
from gateway.settings import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
WAIT = 15.0


class Browser:
    """One page of a headless Chromium over CDP (flattened target session)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.session: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.waiting:
                self.waiting.pop(data["id"]).set_result(data)
            else:
                await self.events.put(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a CDP method on the page (or the browser before a page is attached)."""
        call_id = next(self.ids)
        self.waiting[call_id] = asyncio.get_running_loop().create_future()
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.ws.send_str(json.dumps(message))
        answer = await asyncio.wait_for(self.waiting[call_id], WAIT)
        assert "error" not in answer, answer
        return answer.get("result", {})

    async def open_page(self) -> None:
        target = await self.send("Target.createTarget", url="about:blank")
        self.session = (await self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True))["sessionId"]
        await self.send("Page.enable")

    async def loaded(self) -> None:
        """Wait for the next page load."""
        while (await asyncio.wait_for(self.events.get(), WAIT)).get("method") != "Page.loadEventFired":
            pass

    async def go(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.loaded()

    async def js(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def click(self, selector: str) -> None:
        """Click and wait for the page it leads to (through any redirects)."""
        while not self.events.empty():
            self.events.get_nowait()
        await self.js(f"document.querySelector({json.dumps(selector)}).click()")
        await self.loaded()


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    profile = tmp_path / "chromium"
    process = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                                "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        port, path = await eventually(lambda: port_file.exists() and len(found := port_file.read_text().split()) == 2 and found,
                                      15, "chromium's DevToolsActivePort", interval=0.05)
        async with aiohttp.ClientSession() as http, http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0) as ws:
            page = Browser(ws)
            await page.open_page()
            yield page
            page.reader.cancel()
    finally:
        process.terminate()
        process.wait(10)


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


async def test_a_citizen_pays_in_the_sandbox_with_chromium(served, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(served)
    [link] = await outbox(served, "payment_link")
    await browser.go(link["meta"]["url"])
    assert await browser.js("document.querySelector('h1').innerText") == "Pay the fee"
    assert code in await browser.js("document.body.innerText")
    # the inline stylesheet is allowed by its CSP hash (a blocked one would leave the button grey)
    assert await browser.js("getComputedStyle(document.querySelector('button')).backgroundColor") == "rgb(11, 110, 79)"

    await browser.click("form button")
    assert "/pay/sandbox/S" in await browser.js("location.href")
    assert "Sandbox bank" in await browser.js("document.body.innerText")
    await browser.click("button[value=pay]")
    text = await browser.js("document.body.innerText")
    assert "/pay/callback/sandbox?Authority=" in await browser.js("location.href")
    assert "Paid" in text and "Reference" in text
    assert (await served.app[GATEWAY].requests.get(code)).payment_state == "paid"

    await browser.go(link["meta"]["url"] + "?lang=fa")
    assert await browser.js("document.documentElement.dir") == "rtl"
    assert "پرداخت انجام شد" in await browser.js("document.body.innerText")
