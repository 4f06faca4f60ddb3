"""The sandbox pay flow in a real headless Chromium (tests/browser.py): the citizen opens the SMS
link, presses pay, pays at the sandbox bank and lands on the receipt; the page's own stylesheet
passes our CSP and the Persian page is right to left."""

from __future__ import annotations

from browser import Page, needs_chromium
from fakes.payer import apply_by_ussd, outbox

from gateway.app import GATEWAY

pytestmark = needs_chromium


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
