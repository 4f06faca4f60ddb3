"""The requests desk in a real headless Chromium (tests/browser.py), in Persian and English, on a
360 px phone and a 1280 px desktop: an operator signs in, filters the queue, opens a request, approves
it and sees the citizen's notification listed on the request's page. Every page is checked for
sideways scrolling, its direction, unlabelled controls, low contrast and CSP or script errors; with
PISHKHAN_SCREENSHOTS set, the pages are saved there (the README's pictures)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from clock import ManualClock
from console_pages import PASSWORD, make_user
from ussd_citizen import apply_by_ussd

from gateway.app import GATEWAY, create_app
from gateway.console import desk
from gateway.console.i18n import digits
from gateway.settings import Settings

pytestmark = needs_chromium
DAY = 86_400


def say(key: str, lang: str) -> str:
    """A console text as the page shows it."""
    return desk.TEXTS[key][lang]


async def checked(page: Page, lang: str, name: str, width: int) -> None:
    """The page as a user sees it has none of the problems the harness finds; saved when asked."""
    assert await page.horizontal_overflow() == []
    assert await page.direction(lang) == []
    assert await page.unlabelled_controls() == []
    assert await page.low_contrast() == []
    assert await page.console_errors() == []
    if os.environ.get("PISHKHAN_SCREENSHOTS"):
        await page.screenshot(Path(os.environ["PISHKHAN_SCREENSHOTS"]) / f"console-{name}-{lang}-{width}.png")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_an_operator_approves_a_request_from_the_queue(aiohttp_server, aiohttp_client, settings: Settings, page: Page,
                                                             lang: str, width: int) -> None:
    clock = ManualClock(time.time() - 30 * DAY)
    server = await aiohttp_server(await create_app(settings, clock=clock))
    client = await aiohttp_client(server)
    gateway = client.app[GATEWAY]
    late = await gateway.requests.submit("121096100", {"national_code": "0499370899", "birth_date": "1375/06/21", "child_name": "Sara"},
                                         channel="sms", address="tel:+989120000001", phone="+989120000001", lang="fa")
    clock.advance(30 * DAY)
    code = await apply_by_ussd(client)
    await gateway.requests.transition(code, "in_review", actor="test", reason=None)
    await make_user(client, "mina", "operator", language=lang)
    base = str(server.make_url("/console"))

    await page.viewport(width)
    await page.go(f"{base}/login")
    await page.fill("name", "mina")  # the sign-in page speaks the browser's language; the account's language follows
    await page.fill("password", PASSWORD)
    await page.submit("main form")
    await page.go(f"{base}/requests")
    queue = await page.text("main")
    assert queue.index(digits(late.tracking_code, lang)) < queue.index(digits(code, lang))  # the late one first
    await checked(page, lang, "desk-queue", width)

    await page.fill(say("desk.status", lang), "in_review")
    await page.fill(say("desk.open_only", lang), True)
    await page.click(say("desk.apply", lang))
    assert "status=in_review" in await page.url() and "open=1" in await page.url()
    filtered = await page.text("main")
    assert digits(code, lang) in filtered and digits(late.tracking_code, lang) not in filtered

    await page.click(digits(code, lang))
    assert (await page.url()).endswith(f"/console/requests/{code}")
    await checked(page, lang, "desk-request", width)
    await page.fill(say("desk.transition.to", lang), "approved")
    await page.click(say("desk.transition.submit", lang))

    assert (await gateway.requests.get(code)).status == "approved"  # type: ignore[union-attr]
    [told] = await gateway.db.fetchall("SELECT text FROM outbox WHERE kind = 'notification' AND meta LIKE '%approved%'")
    shown = await page.text("#messages")
    assert told["text"] in shown
    await checked(page, lang, "desk-approved", width)
