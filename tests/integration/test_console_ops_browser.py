"""The simulator and the API tokens page in a real headless Chromium (tests/browser.py), in Persian and
English on a 360 px phone and a 1280 px screen: staff walk the simulator to a tracking code, and an
admin makes a token, sees it once, and revokes it; every page fits the screen, runs in the right
direction, labels every control, keeps its contrast and raises no CSP or script error. Screenshots
go to $PISHKHAN_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, Page, needs_chromium
from console_pages import PASSWORD, make_user

from gateway.app import GATEWAY, create_app
from gateway.console.admin import TEXTS as ADMIN
from gateway.console.simulator import TEXTS as SIMULATOR
from gateway.settings import Settings

pytestmark = needs_chromium
SCREENS = [(lang, width) for lang in ("fa", "en") for width in (PHONE, DESKTOP)]
TRACKING = re.compile(r"(?:Tracking code|کد پیگیری):\s*([0-9۰-۹]{11})")


@pytest.fixture
async def served(aiohttp_server, aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    server = await aiohttp_server(await create_app(settings))
    return await aiohttp_client(server)


async def signed_in(served, page: Page, name: str, role: str, lang: str, width: int) -> str:  # type: ignore[no-untyped-def]
    """Sign in through the form as a new user speaking `lang`, on a screen `width` wide; the console's address."""
    await make_user(served, name, role, language=lang)
    base = str(served.make_url("/console"))
    await page.viewport(width)
    await page.go(f"{base}/login")
    await page.fill("name", name)
    await page.fill("password", PASSWORD)
    await page.submit("form[action='/console/login']")
    return base


async def looks_right(page: Page, lang: str, width: int, shot: str) -> None:
    """The checks every console page passes, and its screenshot when they are wanted."""
    problems = [*await page.horizontal_overflow(), *await page.direction(lang), *await page.unlabelled_controls(),
                *await page.low_contrast(), *await page.console_errors()]
    assert not problems, "\n".join(problems)
    folder = os.environ.get("PISHKHAN_SCREENSHOTS")
    if folder:
        await page.screenshot(Path(folder) / f"console-{shot}-{lang}-{width}.png")


@pytest.mark.parametrize(("lang", "width"), SCREENS)
async def test_the_simulator_walks_ussd_to_a_tracking_code(served, page: Page, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    base = await signed_in(served, page, "vida", "viewer", lang, width)
    await page.go(f"{base}/simulator")
    await looks_right(page, lang, width, "simulator-start")
    await page.click(SIMULATOR["sim.start"][lang])
    language = "1" if lang == "fa" else "2"
    for typed in (language, "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"):
        await page.fill(SIMULATOR["sim.input"][lang], typed)
        await page.click(SIMULATOR["sim.send"][lang])
    screen = await page.text("#screen")
    assert TRACKING.search(screen), screen
    assert "0499370899" in await page.text(".sim-log")
    await looks_right(page, lang, width, "simulator")
    live = await served.app[GATEWAY].db.fetchone("SELECT count(*) AS n FROM requests")
    assert live["n"] == 0


@pytest.mark.parametrize(("lang", "width"), SCREENS)
async def test_an_admin_makes_a_token_and_revokes_it(served, page: Page, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    base = await signed_in(served, page, "azadeh", "admin", lang, width)
    await page.go(f"{base}/tokens")
    await page.fill(ADMIN["admin.token_name"][lang], "desk")
    await page.fill(ADMIN["admin.role"][lang], "operator")
    await looks_right(page, lang, width, "tokens")
    await page.click(ADMIN["admin.create"][lang])
    assert ADMIN["admin.token_copy"][lang] in await page.text()
    token = await page.js("document.getElementById('token').value")
    assert token.startswith("pk_")
    await looks_right(page, lang, width, "token-made")

    await page.click(ADMIN["admin.back"][lang])
    await page.click(ADMIN["admin.revoke"][lang], within="table")
    await looks_right(page, lang, width, "token-revoke")
    await page.click(ADMIN["admin.revoke"][lang], within="main form")
    assert ADMIN["admin.token_revoked"][lang].format(id=1 if lang == "en" else "۱") in await page.text()
    assert (await served.get("/api/v1/outbox", headers={"Authorization": f"Bearer {token}"})).status == 401
