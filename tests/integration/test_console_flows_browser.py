"""The flow pages in a real Chromium, as an admin uses them on a phone and a desktop, in Persian and
English: open the map, a node, edit a menu text, check, diff, publish, roll back. Every page: no
sideways scrolling, the language's direction, every control labelled, enough contrast, no CSP or
script error (tests/console_browser.py); screenshots go to $PISHKHAN_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_browser import looks_right, sign_in_with
from console_pages import make_user
from ussd_citizen import ussd_hops

pytestmark = needs_chromium
WORDS = {
    "fa": {"check": "بررسی", "diff": "تفاوت‌ها", "publish": "انتشار", "fine": "مشکلی پیدا نشد.", "published": "نسخهٔ {n} منتشر شد",
           "confirm": "تأیید بازگشت", "rolled": "نسخهٔ ۱ دوباره زنده است.", "note": "یادداشت", "digits": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")},
    "en": {"check": "Check", "diff": "Diff", "publish": "Publish", "fine": "No problems found.", "published": "Version {n} is published",
           "confirm": "Confirm the rollback", "rolled": "Version 1 is live again.", "note": "Note", "digits": str.maketrans("", "")},
}
ADDED = "[...document.querySelectorAll('.flows-diff .diff-add')].map((line) => line.textContent.trim())"


async def the_diff_reads_well(page: Page, lang: str, width: int) -> None:
    """The diff (the answer to a form: it has no address to open again) checked where it is."""
    problems = [*await page.horizontal_overflow(), *await page.direction(lang), *await page.unlabelled_controls(),
                *await page.low_contrast(), *await page.console_errors()]
    assert not problems, "\n".join(problems)
    folder = os.environ.get("PISHKHAN_SCREENSHOTS")
    if folder:
        await page.screenshot(Path(folder) / f"flows-diff-{lang}-{width}.png")


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_an_admin_edits_publishes_and_rolls_back_a_menu_text(served, page: Page, lang: str) -> None:  # type: ignore[no-untyped-def]
    words = WORDS[lang]
    base = str(served.make_url("")).rstrip("/")
    await make_user(served, "azar", "admin", language=lang)
    await sign_in_with(page, base, "azar")
    await looks_right(page, f"{base}/console/flows", lang, "flows-map")
    assert await page.js("document.querySelectorAll('.map-wrap svg a.node').length") > 20
    link = await page.js("""document.querySelector('.map-wrap a.node[data-ref="main:home"]').getAttribute('href')""")
    assert link == "/console/flows/1/nodes/main:home"  # (an SVG <a> has no .click() for click_selector: its address is followed)
    await looks_right(page, f"{base}{link}", lang, "flows-node")
    assert "CON Government services" in await page.text("main") and "CON پیشخوان دولت" in await page.text("main")

    for number, width in enumerate((PHONE, DESKTOP), 2):
        await page.viewport(width)
        await page.go(f"{base}/console/flows/edit")
        main = await page.js("document.getElementById('file-main.yaml').value")
        await page.fill("flows/main.yaml", main.replace("en: Government services", "en: State services"))
        await page.click(words["check"])
        assert words["fine"] in await page.text("main")
        await page.click(words["diff"])
        assert "+ CON State services" in await page.js(ADDED)
        await the_diff_reads_well(page, lang, width)
        await page.fill(words["note"], "a shorter title")
        await page.click(words["publish"])
        assert (await page.url()).endswith(f"/console/flows?published={number}")
        assert words["published"].format(n=str(number).translate(words["digits"])) in await page.text("main")
        assert (await ussd_hops(served, f"+98912000{number}111", ["", "2"]))[-1].startswith("CON State services")

        await looks_right(page, f"{base}/console/flows/rollback?version=1", lang, "flows-rollback")
        await page.viewport(width)
        assert "+ CON Government services" in await page.js(ADDED)
        await page.click(words["confirm"])
        assert words["rolled"] in await page.text("main")
        assert (await ussd_hops(served, f"+98912000{number}222", ["", "2"]))[-1].startswith("CON Government services")
