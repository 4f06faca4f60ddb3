"""The analytics page in a real Chromium, as a viewer uses it: Persian on a phone, English on a
desktop (the two cases issue 16's split allows per branch). Open the page, pick a channel, read the
drop-off chart and table, then the flow map coloured by drop-offs: no sideways scrolling, the
language's direction, every control labelled, enough contrast, no CSP or script error;
screenshots go to $PISHKHAN_SCREENSHOTS when it is set (tests/console_browser.py)."""

from __future__ import annotations

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_browser import looks_right, sign_in_with
from console_pages import make_user
from ussd_citizen import ussd_hops

from gateway.app import GATEWAY

pytestmark = needs_chromium
WORDS = {"fa": {"channel": "کانال", "show": "نمایش", "drops": "رهاشدن در هر گره", "colour": "رنگ بر پایهٔ رهاشدن", "days": "۳۰ روز گذشته"},
         "en": {"channel": "Channel", "show": "Show", "drops": "Drop-offs per node", "colour": "Colour by drop-offs", "days": "last 30 days"}}


@pytest.mark.parametrize(("lang", "width"), [("fa", PHONE), ("en", DESKTOP)])
async def test_a_viewer_reads_the_drop_offs_and_the_coloured_map(served, page: Page, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    words = WORDS[lang]
    await ussd_hops(served, "+989121234567", ["", "2", "2*1"])      # left at the services menu ...
    await ussd_hops(served, "+989121234567", ["", "2"])             # ... then dialled again to start over: a drop-off there
    await served.app[GATEWAY].analytics.flush()
    base = str(served.make_url("")).rstrip("/")
    await make_user(served, "leila", "viewer", language=lang)
    await sign_in_with(page, base, "leila")

    await looks_right(page, f"{base}/console/analytics", lang, "analytics")
    await page.viewport(width)
    await page.go(f"{base}/console/analytics")
    await page.fill(words["channel"], "ussd")
    await page.click(words["show"])
    assert "channel=ussd" in await page.url()
    assert words["drops"] in await page.text("main")
    bars = await page.js("[...document.querySelectorAll('svg.chart title')].map((t) => t.textContent)")
    assert words["drops"] in bars
    assert "services:ussd_categories" in await page.text(".analytics-chart table")

    await page.go(f"{base}/console/flows")
    await page.fill(words["colour"], words["days"])
    await page.click(words["show"])
    assert await page.js("""document.querySelector('.map-wrap .node-heat-on[data-ref="services:ussd_categories"]') !== null""")
    await looks_right(page, await page.url(), lang, "analytics-flowmap")
