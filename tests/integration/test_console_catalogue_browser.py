"""The catalogue in a real headless Chromium (tests/browser.py), as an admin meets it in Persian and in
English on a 360 px phone and a 1280 px screen: the list, a card, its form. They change a card's
title and watch the USSD preview redraw as they type (catalogue.js), save, and see it live. Every
page passes console_browser.looks_right: no sideways scrolling, its language's direction, every
control labelled, readable contrast, nothing refused by the CSP."""

from __future__ import annotations

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_browser import looks_right, sign_in_with
from console_pages import make_user

from gateway.app import GATEWAY

pytestmark = needs_chromium
CARD = "/console/services/121095100"
NEW_TITLE = {"fa": "کارت ملی نخست", "en": "Brand new ID card"}
LIMIT = {"fa": "از ۸۰ نویسه", "en": "of 182 characters"}
WORDS = {"fa": {"save": "ذخیره و انتشار", "saved": "ذخیره و منتشر شد"}, "en": {"save": "Save and publish", "saved": "Saved and published"}}


def ussd_menu(lang: str, part: str) -> str:
    """A JavaScript expression: the text of `part` (`pre`: the page, `.count`: its characters used of
    the limit) of the preview of the service's own USSD menu in `lang`."""
    return ("[...document.querySelectorAll('#preview-body .preview-screen')]"
            f".find((s) => s.dataset.node === 'menu' && s.dataset.channel === 'ussd' && s.lang === '{lang}')"
            f"?.querySelector('{part}')?.innerText")


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_an_admin_changes_a_title_watching_the_ussd_preview_and_it_goes_live(served, page: Page, lang: str) -> None:  # type: ignore[no-untyped-def]
    base = str(served.make_url("")).rstrip("/")
    gateway = served.app[GATEWAY]
    await make_user(served, "root", "admin", language=lang)
    await sign_in_with(page, base, "root")
    await looks_right(page, f"{base}/console/services", lang, "catalogue-list")
    await looks_right(page, f"{base}{CARD}", lang, "catalogue-card")
    await looks_right(page, f"{base}{CARD}/edit", lang, "catalogue-edit")

    for width in (PHONE, DESKTOP):
        await page.viewport(width)
        await page.go(f"{base}{CARD}/edit")
        page_before, count_before = await page.js(ussd_menu(lang, "pre")), await page.js(ussd_menu(lang, ".count"))
        assert page_before.startswith("CON ") and NEW_TITLE[lang] not in page_before
        await page.fill(f"title.{lang}", NEW_TITLE[lang])
        # catalogue.js redraws the preview from what is typed, counted again against the page's limit
        await page.wait_for(f"({ussd_menu(lang, 'pre')} || '').startsWith('CON {NEW_TITLE[lang]}\\n')", "the USSD preview showing the new title")
        count = await page.js(ussd_menu(lang, ".count"))
        # of a UCS-2 page's 80 characters in Persian; an English menu is GSM-7, 182
        assert count != count_before and count.endswith(LIMIT[lang]), (count_before, count)
        assert await page.horizontal_overflow() == [] and await page.console_errors() == []
        assert gateway.catalogue.get("121095100").title[lang] != NEW_TITLE[lang]  # type: ignore[union-attr]  # previewed, not saved

    await page.click(WORDS[lang]["save"])
    assert (await page.url()).startswith(f"{base}{CARD}?saved=")
    text = await page.text("main")
    assert WORDS[lang]["saved"] in text and NEW_TITLE[lang] in text
    assert gateway.catalogue.get("121095100").title[lang] == NEW_TITLE[lang]  # type: ignore[union-attr]
    await page.go(f"{base}/console/services")
    assert NEW_TITLE[lang] in await page.text("main")
