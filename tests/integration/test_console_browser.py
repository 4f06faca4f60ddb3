"""Signing in to the console in a real Chromium, as staff do: by keyboard alone, in Persian (right to
left) and English, at a phone's width and a desktop's, with the session cookie locked down, and the
lockout and language switch seen on the page."""

from __future__ import annotations

import pytest
from browser import Page, needs_chromium
from console_browser import looks_right, sign_in_with
from console_pages import PASSWORD, make_user

pytestmark = needs_chromium


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_the_sign_in_and_home_pages_read_well_on_a_phone_and_a_desktop(served, page: Page, lang: str) -> None:  # type: ignore[no-untyped-def]
    base = str(served.make_url("")).rstrip("/")
    await make_user(served, "maryam", "admin", language=lang)
    await page.send("Network.setExtraHTTPHeaders", headers={"Accept-Language": lang})  # the sign-in page follows the browser
    await looks_right(page, f"{base}/console/login", lang, "login")
    await sign_in_with(page, base, "maryam")
    await looks_right(page, f"{base}/console", lang, "home")
    await looks_right(page, f"{base}/console/account", lang, "account")


async def test_staff_sign_in_with_the_keyboard_alone(served, page: Page) -> None:  # type: ignore[no-untyped-def]
    base = str(served.make_url("")).rstrip("/")
    await make_user(served, "reza")
    await page.go(f"{base}/console/requests")  # a signed-out browser is sent to sign in, and back after
    assert (await page.focused()).name == "name"  # the name field has the focus at once
    await page.send("Input.insertText", text="reza")
    await page.press("Tab")
    assert (await page.focused()).name == "password"
    await page.send("Input.insertText", text=PASSWORD)
    await page.press("Enter", navigates=True)
    assert (await page.url()).endswith("/console/requests") or "/console" in await page.url()
    cookie = (await page.cookies())["pishkhan_console"]
    assert cookie.http_only and cookie.same_site == "Strict" and cookie.path == "/console"


async def test_the_lockout_and_the_language_switch_are_shown_on_the_page(served, page: Page) -> None:  # type: ignore[no-untyped-def]
    base = str(served.make_url("")).rstrip("/")
    await make_user(served, "sara")
    await page.send("Network.setExtraHTTPHeaders", headers={"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"})
    for _ in range(5):
        await page.go(f"{base}/console/login")
        await page.fill("name", "sara")
        await page.fill("password", "not the password")
        await page.submit("main form")
    assert "قفل است" in await page.text()
    await page.click("English")
    assert await page.direction("en") == []
    assert "Sign in to Pishkhan" in await page.text()
