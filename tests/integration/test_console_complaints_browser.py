"""Complaints in a real headless Chromium (tests/browser.py): Persian on a 360 px phone and English on a
1280 px desktop, an operator opens the queue (the late complaint first), opens it and answers it; the
citizen's message is in the outbox. The queue and the complaint's page are checked at both widths
(tests/console_browser.py: no sideways scrolling, the direction, labelled controls, contrast, no CSP
error), and saved when PISHKHAN_SCREENSHOTS names a directory."""

from __future__ import annotations

import datetime

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_browser import looks_right, sign_in_with
from console_pages import make_user

from gateway.app import GATEWAY
from gateway.console import complaints
from gateway.console.i18n import digits

pytestmark = needs_chromium


def say(key: str, lang: str) -> str:
    return complaints.TEXTS[key][lang]


@pytest.mark.parametrize(("lang", "width"), [("fa", PHONE), ("en", DESKTOP)])
async def test_an_operator_answers_the_late_complaint_first(served, page: Page, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    gateway = served.app[GATEWAY]
    filed = [await gateway.complaints.file(kind, text, service_id="121095100", channel="sms", address=f"tel:+98912000000{n}",
                                           phone=f"+98912000000{n}", lang=lang)
             for n, (kind, text) in enumerate((("suggestion", "ساعت کاری عصر هم باشد"), ("complaint", "The office lost my photo twice")))]
    late = filed[1]
    overdue = (gateway.complaints.today() - datetime.timedelta(days=5)).isoformat()
    await gateway.db.execute("UPDATE complaints SET due_date = ? WHERE id = ?", (overdue, late.id))
    await make_user(served, "mina", "operator", language=lang)
    base = str(served.make_url(""))
    await sign_in_with(page, base, "mina")
    await page.viewport(width)

    await page.go(f"{base}/console/complaints")
    queue = await page.text("main")
    assert queue.index(digits(late.code, lang)) < queue.index(digits(filed[0].code, lang))   # the late one first
    await page.click(digits(late.code, lang))
    assert (await page.url()).endswith(f"/console/complaints/{late.code}")
    await page.fill(say("complaints.new_status", lang), "answered")
    await page.fill(say("complaints.answer", lang), "Found: it is at the Tajrish office.")
    await page.click(say("complaints.submit", lang))
    assert say("complaints.status.answered", lang) in await page.text("main")
    [told] = await gateway.db.fetchall("SELECT text FROM outbox WHERE kind = 'notification'")
    assert "Found: it is at the Tajrish office." in told["text"]

    await looks_right(page, f"{base}/console/complaints", lang, "console-complaints-queue")
    await looks_right(page, f"{base}/console/complaints/{late.code}", lang, "console-complaints-one")
