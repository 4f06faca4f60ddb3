"""The flow pages in a real Chromium, as an admin uses them on a phone and a desktop, in Persian and
English: open the map, a node, edit a menu text, check, diff, publish, roll back. On every page: no
sideways scrolling, the language's direction, every control labelled, enough contrast, no CSP or
script error. Screenshots go to $PISHKHAN_SCREENSHOTS when it is set (the README's come from there)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_pages import PASSWORD, make_user
from ussd_citizen import ussd_hops

from gateway.app import create_app
from gateway.settings import Settings

pytestmark = needs_chromium
WORDS = {
    "fa": {"check": "بررسی", "diff": "تفاوت‌ها", "publish": "انتشار", "fine": "مشکلی پیدا نشد.", "published": "نسخهٔ ۲ منتشر شد",
           "back": "بازگشت به نسخهٔ پیشین", "confirm": "تأیید بازگشت", "rolled": "نسخهٔ ۱ دوباره زنده است.", "note": "یادداشت"},
    "en": {"check": "Check", "diff": "Diff", "publish": "Publish", "fine": "No problems found.", "published": "Version 2 is published",
           "back": "Roll back to the previous version", "confirm": "Confirm the rollback", "rolled": "Version 1 is live again.", "note": "Note"},
}


@pytest.fixture
async def served(aiohttp_server, aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await aiohttp_server(await create_app(settings), port=port)
    return await aiohttp_client(server)


async def looks_right(page: Page, lang: str, width: int, step: str) -> None:
    """The checks every page must pass, and its screenshot when asked for."""
    assert await page.horizontal_overflow() == [], step
    assert await page.direction(lang) == [], step
    assert await page.unlabelled_controls() == [], step
    assert await page.low_contrast() == [], step
    assert await page.console_errors() == [], step
    folder = os.environ.get("PISHKHAN_SCREENSHOTS")
    if folder:
        await page.screenshot(Path(folder) / f"console-flows-{step}-{lang}-{width}.png")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_an_admin_edits_publishes_and_rolls_back_a_menu_text(served, page: Page, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    words = WORDS[lang]
    base = str(served.make_url("/console"))
    await make_user(served, "azar", "admin", language=lang)
    await page.viewport(width)
    await page.go(f"{base}/login?next=/console/flows")
    await page.fill("name", "azar")
    await page.fill("password", PASSWORD)
    await page.submit("main form")
    assert (await page.url()).endswith("/console/flows"), await page.text("main")
    assert await page.js("document.querySelectorAll('.map-wrap svg a.node').length") > 20
    await looks_right(page, lang, width, "map")

    link = await page.js("""document.querySelector('.map-wrap a.node[data-ref="main:home"]').getAttribute('href')""")
    assert link == "/console/flows/1/nodes/main:home"
    await page.go(f"{base}/flows/1/nodes/main:home")  # (click_selector calls .click(), which an SVG <a> lacks)
    assert (await page.url()).endswith("/console/flows/1/nodes/main:home")
    assert "CON Government services" in await page.text("main") and "CON پیشخوان دولت" in await page.text("main")
    await looks_right(page, lang, width, "node")

    await page.go(f"{base}/flows/edit")
    main = await page.js("document.getElementById('file-main.yaml').value")
    await page.fill("flows/main.yaml", main.replace("en: Government services", "en: State services"))
    await page.click(words["check"])
    assert words["fine"] in await page.text("main")
    await page.click(words["diff"])
    added = await page.js("[...document.querySelectorAll('.flows-diff .diff-add')].map((line) => line.textContent.trim())")
    assert "+ CON State services" in added
    await looks_right(page, lang, width, "diff")
    await page.fill(words["note"], "a shorter title")
    await page.click(words["publish"])
    assert (await page.url()).endswith("/console/flows?published=2") and words["published"] in await page.text("main")
    assert (await ussd_hops(served, "+989120001111", ["", "2"]))[-1].startswith("CON State services")

    await page.click(words["back"])
    added = await page.js("[...document.querySelectorAll('.flows-diff .diff-add')].map((line) => line.textContent.trim())")
    assert "+ CON Government services" in added
    await looks_right(page, lang, width, "rollback")
    await page.click(words["confirm"])
    assert words["rolled"] in await page.text("main")
    assert (await ussd_hops(served, "+989120002222", ["", "2"]))[-1].startswith("CON Government services")
    assert json.dumps(await page.console_errors()) == "[]"
