"""The browser harness (tests/browser.py) against small static pages, each with one known problem:
every check finds exactly that problem, and nothing on a clean page. The console's browser tests
rely on these checks to fail when a page is wrong, so the checks are tested for failing first."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from aiohttp import web
from browser import DESKTOP, PHONE, Chromium, Cookie, Element, Page, needs_chromium

pytestmark = needs_chromium


def html(body: str, head: str = "", lang: str = "en", direction: str = "ltr") -> str:
    """A whole page with a phone-ready viewport, so only the body under test can be at fault."""
    return (f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>t</title>{head}</head>'
            f"<body>{body}</body></html>")


CLEAN = html("""
<h1>Sign in</h1>
<p>Dark text on the white canvas, <a href="/help">Help</a>.</p>
<div style="background: #1b1b1b; color: #fff"><p>White text on a dark box: only right when the check walks up to the box.</p></div>
<p style="color: #767676">Grey at 4.54:1, just above the line.</p>
<p style="color: #949494; font-size: 24px">Large grey at 3.03:1.</p>
<form method="post" action="/signin">
  <label for="user">User name</label> <input id="user" name="user">
  <label>Password <input type="password" name="password"></label>
  <select name="language" aria-label="Language"><option value="fa">فارسی</option><option value="en">English</option></select>
  <input type="checkbox" name="remember" aria-labelledby="remember-text"><span id="remember-text">Remember me</span>
  <button>Sign in</button>
</form>
""")

PAGES = {
    "/": CLEAN,
    "/help": html("<h1>Help</h1>"),
    "/unlabelled": html('<form><label for="a">Name</label><input id="a" name="a"> <input name="phone" placeholder="Phone">'
                        "<button>Go</button></form>"),
    "/faint": html('<p>Fine words.</p><p class="faint" style="color: #777777">Faint words</p>'
                   '<p class="small" style="color: #949494">Small grey words</p>'),
    "/wide": html('<p>Fits.</p><div class="table"><div class="row" style="width: 600px">Wide row</div></div>'),
    "/wide-rtl": html('<div class="row" style="width: 600px">ردیف پهن</div>', lang="fa", direction="rtl"),
    "/rtl": html("<p>سلام</p>", lang="fa", direction="rtl"),
    "/script": html("<p>Scripted.</p>", head="<script>document.title = 'ran'</script>"),
    "/live": html('<form><label for="name">Name</label><input id="name" required><output id="preview"></output></form>',
                  head='<script src="/live.js"></script>'),
    "/throws": html("<p>Broken.</p>", head='<script src="/throws.js"></script>'),
    "/tall": html('<div style="height: 2000px">Tall</div>'),
    "/two": html('<a href="/help">Open</a> <a href="/help">Open</a>'),
    "/covered": html('<button>Hidden</button><div style="position: fixed; inset: 0; background: #fff">Overlay</div>'),
}


async def signin(request: web.Request) -> web.Response:
    form = await request.post()
    response = web.Response(text=html(f"<p>Welcome {form['user']}, language {form['language']}, remember {form.get('remember', 'no')}</p>"),
                            content_type="text/html")
    response.set_cookie("session", "s3cret", httponly=True, samesite="Strict")
    response.set_cookie("theme", "dark", samesite="Lax", max_age=3600)
    return response


async def page_at(request: web.Request) -> web.Response:
    headers = {"Content-Security-Policy": "default-src 'self'"} if request.path == "/script" else {}
    return web.Response(text=PAGES[request.path], content_type="text/html", headers=headers)


SCRIPTS = {
    "/throws.js": "undefinedFunction();",
    # redraws a preview as the user types, as the console's card preview does
    "/live.js": "addEventListener('input', (e) => { document.getElementById('preview').value = e.target.value.length + ' characters'; });",
}


async def script(request: web.Request) -> web.Response:
    return web.Response(text=SCRIPTS[request.path], content_type="text/javascript")


@pytest.fixture
async def site(aiohttp_server) -> str:  # type: ignore[no-untyped-def]
    """The pages above on a real port; the base URL."""
    app = web.Application()
    app.router.add_post("/signin", signin)
    for path in SCRIPTS:
        app.router.add_get(path, script)
    for path in PAGES:
        app.router.add_get(path, page_at)
    server = await aiohttp_server(app)
    return f"http://127.0.0.1:{server.port}"


async def test_a_clean_page_passes_every_check_at_both_widths(page: Page, site: str) -> None:
    for width in (PHONE, DESKTOP):
        await page.viewport(width)
        await page.go(site + "/")
        assert await page.horizontal_overflow() == []
        assert await page.direction("en") == []
        assert await page.unlabelled_controls() == []
        assert await page.low_contrast() == []
        assert await page.console_errors() == []


async def test_an_input_without_a_name_is_found(page: Page, site: str) -> None:
    await page.go(site + "/unlabelled")
    assert await page.unlabelled_controls() == ["input[name=phone] has no accessible name"]


async def test_text_below_the_contrast_minimum_is_found_with_its_ratio(page: Page, site: str) -> None:
    await page.go(site + "/faint")
    assert await page.low_contrast() == [
        'p.faint "Faint words": contrast 4.48:1 (#777777 on #ffffff), needs 4.5:1',
        'p.small "Small grey words": contrast 3.03:1 (#949494 on #ffffff), needs 4.5:1',
    ]


async def test_an_element_wider_than_a_phone_is_found_and_fits_a_desktop(page: Page, site: str) -> None:
    await page.viewport(PHONE)
    await page.go(site + "/wide")
    assert await page.horizontal_overflow() == ["the page is 608 px wide in a 360 px viewport", "div.row spans 8..608 px"]
    await page.viewport(DESKTOP)
    assert await page.horizontal_overflow() == []


async def test_a_right_to_left_page_overflows_to_the_left(page: Page, site: str) -> None:
    await page.viewport(PHONE)
    await page.go(site + "/wide-rtl")
    assert await page.horizontal_overflow() == ["the page is 608 px wide in a 360 px viewport", "div.row spans -248..352 px"]


async def test_direction_must_match_the_language(page: Page, site: str) -> None:
    await page.go(site + "/rtl")
    assert await page.direction("fa") == []
    assert await page.direction() == []
    await page.go(site + "/")
    assert await page.direction("fa") == ["<html lang=en>, expected fa", "<html dir=ltr>, expected rtl", "the body is laid out ltr, expected rtl"]


async def test_an_inline_script_refused_by_the_csp_is_an_error(page: Page, site: str) -> None:
    await page.go(site + "/script")
    assert await page.js("document.title") == "t"  # the script did not run
    [error] = await page.console_errors()
    assert error.startswith("security: Executing inline script violates the following Content Security Policy directive 'default-src 'self''")


async def test_an_uncaught_exception_is_an_error(page: Page, site: str) -> None:
    await page.go(site + "/throws")
    [error] = await page.console_errors()
    assert "undefinedFunction is not defined" in error


async def test_a_user_signs_in_by_keyboard_and_gets_flagged_cookies(page: Page, site: str) -> None:
    await page.go(site + "/")
    await page.fill("User name", "maryam")
    assert await page.focused() == Element(tag="input", id="user", name="user", type="", label="User name")
    await page.press("Tab")
    assert (await page.focused()).label == "Password"
    await page.press("Shift+Tab")
    assert (await page.focused()).name == "user"
    await page.press("Tab")
    await page.fill("password", "pw")
    await page.fill("Language", "English")
    await page.fill("Remember me", True)
    await page.press("Tab")
    assert (await page.focused()).label == "Sign in"
    await page.press("Enter", navigates=True)
    assert await page.url() == site + "/signin"
    assert await page.text() == "Welcome maryam, language en, remember on"
    cookies = await page.cookies()
    assert cookies["session"] == Cookie("session", "s3cret", "127.0.0.1", "/", http_only=True, secure=False, same_site="Strict", session=True)
    assert (cookies["theme"].http_only, cookies["theme"].same_site, cookies["theme"].session) == (False, "Lax", False)


async def test_each_page_has_its_own_cookie_jar(chromium: Chromium, site: str) -> None:
    async with chromium.page() as first, chromium.page() as second:
        await first.go(site + "/")
        await first.fill("User name", "a")
        await first.submit()
        await second.go(site + "/")
        assert set(await first.cookies()) == {"session", "theme"}
        assert await second.cookies() == {}


async def test_clicks_go_by_visible_text_and_refuse_what_a_user_could_not_click(page: Page, site: str) -> None:
    await page.go(site + "/")
    await page.press("Tab")
    assert await page.focused() == Element(tag="a", id="", name="", type="", label="Help")
    await page.click("Help")
    assert await page.url() == site + "/help"
    await page.go(site + "/two")
    with pytest.raises(AssertionError, match='2 visible buttons or links read "Open"'):
        await page.click("Open")
    await page.click("Open", within="a:last-child")
    assert await page.url() == site + "/help"
    await page.go(site + "/covered")
    with pytest.raises(AssertionError, match="'Hidden' cannot be clicked: covered by <div"):
        await page.click("Hidden", navigates=False)
    with pytest.raises(AssertionError, match='0 fields labelled or named "Nothing"'):
        await page.fill("Nothing", "x")


async def test_a_screenshot_holds_the_whole_page(page: Page, site: str, tmp_path: Path) -> None:
    await page.viewport(PHONE)
    await page.go(site + "/tall")
    shot = await page.screenshot(tmp_path / "tall.png")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert width == PHONE and height >= 2000


async def test_waiting_for_a_preview_the_page_redraws_and_submitting_names_refused_fields(page: Page, site: str) -> None:
    await page.go(site + "/live")
    with pytest.raises(AssertionError, match=r"submitting form: \['input#name: .+'\]"):
        await page.submit()
    await page.fill("Name", "Maryam")
    assert await page.wait_for("document.getElementById('preview').value === '6 characters'")
    assert await page.text("output") == "6 characters"
