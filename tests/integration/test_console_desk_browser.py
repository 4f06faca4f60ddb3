"""The requests desk in a real headless Chromium (tests/browser.py), in Persian and English: on a
360 px phone and on a 1280 px desktop an operator signs in, filters the queue, opens a request,
approves it and sees the citizen's notification listed on the request's page. The queue and a
request's page are checked at both widths (tests/console_browser.py: no sideways scrolling, the
language's direction, every control labelled, readable contrast, no CSP or script error), and
saved when PISHKHAN_SCREENSHOTS names a directory."""

from __future__ import annotations

import datetime

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_browser import looks_right, sign_in_with
from console_pages import make_user
from ussd_citizen import apply_by_ussd

from gateway.app import GATEWAY
from gateway.console import desk
from gateway.console.i18n import digits

pytestmark = needs_chromium


def say(key: str, lang: str) -> str:
    """A desk text as the page shows it."""
    return desk.TEXTS[key][lang]


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_an_operator_filters_the_queue_and_approves_a_request(served, page: Page, lang: str) -> None:  # type: ignore[no-untyped-def]
    gateway = served.app[GATEWAY]
    late = await gateway.requests.submit("121096100", {"national_code": "0499370899", "birth_date": "1375/06/21", "child_name": "Sara"},
                                         channel="sms", address="tel:+989120000001", phone="+989120000001", lang="fa")
    overdue = (gateway.requests.calendar.date_of(gateway.requests.clock()) - datetime.timedelta(days=20)).isoformat()
    await gateway.db.execute("UPDATE requests SET due_date = ? WHERE id = ?", (overdue, late.id))
    codes = {width: await apply_by_ussd(served, phone=f"+98912000000{n}") for n, width in ((2, PHONE), (3, DESKTOP))}
    for code in codes.values():
        await gateway.requests.transition(code, "in_review", actor="test", reason=None)
    await make_user(served, "mina", "operator", language=lang)
    base = str(served.make_url(""))
    await sign_in_with(page, base, "mina")

    for width, code in codes.items():
        await page.viewport(width)
        await page.go(f"{base}/console/requests")
        queue = await page.text("main")
        assert queue.index(digits(late.tracking_code, lang)) < queue.index(digits(code, lang))  # the late one first
        await page.fill(say("desk.status", lang), "in_review")
        await page.fill(say("desk.open_only", lang), True)
        await page.click(say("desk.apply", lang))
        assert "status=in_review" in await page.url() and "open=1" in await page.url()
        filtered = await page.text("main")
        assert digits(code, lang) in filtered and digits(late.tracking_code, lang) not in filtered

        await page.click(digits(code, lang))
        assert (await page.url()).endswith(f"/console/requests/{code}")
        await page.fill(say("desk.transition.to", lang), "approved")
        await page.click(say("desk.transition.submit", lang))

        assert (await gateway.requests.get(code)).status == "approved"
        [told] = await gateway.db.fetchall("SELECT text FROM outbox WHERE kind = 'notification' AND meta LIKE ? AND meta LIKE '%approved%'",
                                           (f"%{code}%",))
        assert told["text"] in await page.text("#messages"), width

    await looks_right(page, f"{base}/console/requests", lang, "console-desk-queue")
    await looks_right(page, f"{base}/console/requests/{codes[PHONE]}", lang, "console-desk-request")
