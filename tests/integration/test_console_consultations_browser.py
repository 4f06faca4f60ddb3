"""The consultations pages in a real headless Chromium (tests/browser.py): an operator opens a poll with
the form and reads its results, in Persian on a 360 px phone and in English on a 1280 px screen; the
form and the results (a bar table in SVG) fit the screen, run in the language's direction, label every
control, keep their contrast and raise no CSP or script error. Screenshots go to $PISHKHAN_SCREENSHOTS
when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_browser import sign_in_with
from console_pages import make_user

from gateway.app import GATEWAY
from gateway.console.consultations import TEXTS
from gateway.console.i18n import LANGUAGE_NAMES

pytestmark = needs_chromium
QUESTION = {"fa": "ساعت کار دفاتر تا ۲۰ باشد؟", "en": "Open offices until 20:00?"}
OPTIONS = ({"fa": "بله", "en": "Yes"}, {"fa": "خیر", "en": "No"})


def say(key: str, lang: str, **values: str) -> str:
    text = TEXTS[key][lang]
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


async def checked(page: Page, lang: str, width: int, shot: str) -> None:
    problems = [*await page.horizontal_overflow(), *await page.direction(lang), *await page.unlabelled_controls(),
                *await page.low_contrast(), *await page.console_errors()]
    assert not problems, "\n".join(problems)
    folder = os.environ.get("PISHKHAN_SCREENSHOTS")
    if folder:
        await page.screenshot(Path(folder) / f"console-{shot}-{lang}-{width}.png")


@pytest.mark.parametrize(("lang", "width"), [("fa", PHONE), ("en", DESKTOP)])
async def test_an_operator_opens_a_poll_and_reads_its_results(served, page: Page, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    gateway = served.app[GATEWAY]
    await make_user(served, "mina", "operator", language=lang)
    base = str(served.make_url(""))
    await page.viewport(width)
    await sign_in_with(page, base, "mina")
    await page.go(f"{base}/console/consultations/new")
    for code in ("fa", "en"):
        await page.fill(say("consult.question_in", lang, language=LANGUAGE_NAMES[code]), QUESTION[code])
        for n, option in enumerate(OPTIONS, 1):
            number = str(n) if lang == "en" else "۰۱۲۳۴۵۶۷۸۹"[n]
            await page.fill(say("consult.option_in", lang, n=number, language=LANGUAGE_NAMES[code]), option[code])
    await page.js("document.getElementById('closes_at').value = '2099-01-01T08:00'")  # a date picker, not typed keys
    await checked(page, lang, width, "consultation-new")
    await page.click(say("consult.open", lang))
    assert "/console/consultations/" in await page.url() and say("consult.opened", lang) in await page.text("main")

    [poll] = (await gateway.polls.page(1, 0))[0]
    for phone, option, channel in (("+989120000001", 1, "ussd"), ("+989120000002", 1, "sms"), ("+989120000003", 2, "telegram")):
        await gateway.polls.answer(poll.id, option, phone=phone, channel=channel, lang=lang)
    await page.go(await page.url())
    shown = await page.text("main")
    assert QUESTION[lang] in shown and OPTIONS[0][lang] in shown
    await checked(page, lang, width, "consultation")
