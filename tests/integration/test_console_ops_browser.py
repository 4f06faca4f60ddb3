"""The simulator and the API tokens page in a real headless Chromium (tests/browser.py), in Persian and
English: staff walk the simulator to a tracking code, and an admin makes a token, sees it once, and
revokes it; each page is checked at 360 px and 1280 px (tests/console_browser.py: it fits the screen,
runs in the right direction, labels every control, keeps its contrast and raises no CSP or script
error). Screenshots go to $PISHKHAN_SCREENSHOTS when it is set."""

from __future__ import annotations

import re

import pytest
from browser import Page, needs_chromium
from console_browser import looks_right, problems_here, sign_in_with
from console_pages import make_user

from gateway.app import GATEWAY
from gateway.console.admin import TEXTS as ADMIN
from gateway.console.simulator import TEXTS as SIMULATOR

pytestmark = needs_chromium
TRACKING = re.compile(r"(?:Tracking code|کد پیگیری):\s*([0-9۰-۹]{11})")


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_the_simulator_walks_ussd_to_a_tracking_code(served, page: Page, lang: str) -> None:  # type: ignore[no-untyped-def]
    await make_user(served, "vida", "viewer", language=lang)
    base = str(served.make_url(""))
    await sign_in_with(page, base, "vida")
    await looks_right(page, f"{base}/console/simulator", lang, "console-simulator-start")
    await page.click(SIMULATOR["sim.start"][lang])
    language = "1" if lang == "fa" else "2"
    for typed in (language, "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"):
        await page.fill(SIMULATOR["sim.input"][lang], typed)
        await page.click(SIMULATOR["sim.send"][lang])
    screen = await page.text("#screen")
    assert TRACKING.search(screen), screen
    assert "0499370899" in await page.text(".sim-log")
    await looks_right(page, (await page.url()).partition("#")[0], lang, "console-simulator")
    live = await served.app[GATEWAY].db.fetchone("SELECT count(*) AS n FROM requests")
    assert live["n"] == 0


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_an_admin_makes_a_token_and_revokes_it(served, page: Page, lang: str) -> None:  # type: ignore[no-untyped-def]
    await make_user(served, "azadeh", "admin", language=lang)
    base = str(served.make_url(""))
    await sign_in_with(page, base, "azadeh")
    await looks_right(page, f"{base}/console/tokens", lang, "console-tokens")
    await page.fill(ADMIN["admin.token_name"][lang], "desk")
    await page.fill(ADMIN["admin.role"][lang], "operator")
    await page.click(ADMIN["admin.create"][lang])
    assert ADMIN["admin.token_copy"][lang] in await page.text()
    token = await page.js("document.getElementById('token').value")
    assert token.startswith("pk_")
    assert not await problems_here(page, lang)  # shown once: this page cannot be opened again by its address

    await page.click(ADMIN["admin.back"][lang])
    await page.click(ADMIN["admin.revoke"][lang], within="table")
    await looks_right(page, await page.url(), lang, "console-token-revoke")
    await page.click(ADMIN["admin.revoke"][lang], within="main form")
    assert ADMIN["admin.token_revoked"][lang].format(id=1 if lang == "en" else "۱") in await page.text()
    assert (await served.get("/api/v1/outbox", headers={"Authorization": f"Bearer {token}"})).status == 401
