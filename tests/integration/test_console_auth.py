"""Console accounts and sign-in as staff meet them: an account made with the CLI signs in through the
form, the session cookie is locked down, wrong passwords lock the account for a while, forms without
the session's token or from another site are refused, an idle session ends, a password change ends
every session, the language is kept per user, and every step lands in the audit trail by name."""

from __future__ import annotations

import asyncio
import io
import re
import sys
from pathlib import Path

import pytest
from clock import ManualClock
from console_pages import PASSWORD, csrf_of, make_user, post_form, sign_in, users_of

from gateway.app import GATEWAY, create_app
from gateway.audit import AuditLog
from gateway.cli import main
from gateway.settings import Settings

CONFIG = str(Path(__file__).resolve().parents[2] / "config")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def console(aiohttp_client, settings: Settings, clock: ManualClock):  # type: ignore[no-untyped-def]
    """The gateway on a clock the test moves, with its console."""
    return await aiohttp_client(await create_app(settings, clock=clock))


async def actions_of(console, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    entries, _ = await AuditLog(console.app[GATEWAY].db).list(actor=f"console:{name}", limit=100)
    return [entry.action for entry in reversed(entries)]


async def test_an_account_made_with_the_cli_signs_in_and_out(console, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\n"))
    assert await asyncio.to_thread(main, ["--config", CONFIG, "users", "create", "maryam", "--role", "operator"]) == 0
    assert "created maryam (operator)" in capsys.readouterr().out

    first = await console.get("/console/requests", allow_redirects=False)
    assert first.status == 303 and first.headers["Location"] == "/console/login?next=/console/requests"
    answer = await sign_in(console, "maryam", next_page="/console/account")
    assert answer.status == 303 and answer.headers["Location"] == "/console/account"
    cookie = answer.headers["Set-Cookie"]
    assert "pishkhan_console=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # served over http here; see the https test below

    home = await console.get("/console")
    page = await home.text()
    assert home.status == 200 and '<html lang="fa" dir="rtl">' in page and "maryam، خوش آمدید" in page
    assert home.headers["Cache-Control"] == "no-store" and "script-src 'self'" in home.headers["Content-Security-Policy"]

    assert (await post_form(console, "/console/logout", {})).status == 303
    assert (await console.get("/console", allow_redirects=False)).status == 303  # signed out
    assert await actions_of(console, "maryam") == ["user.signed_in"]


async def test_the_password_comes_from_stdin_never_an_argument_and_bad_ones_are_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())
    for name, password, error in (("ali", "short\n", "at least 10 characters"),
                                  ("ali", "ali-is-my-password\n", "must not contain the account's name"),
                                  ("Ali Reza", f"{PASSWORD}\n", "use 2-32 lower-case letters")):
        monkeypatch.setattr(sys, "stdin", io.StringIO(password))
        assert await asyncio.to_thread(main, ["--config", CONFIG, "users", "create", name, "--role", "viewer"]) == 1
        assert error in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\n"))
    assert await asyncio.to_thread(main, ["--config", CONFIG, "users", "create", "ali", "--role", "viewer"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\n"))
    assert await asyncio.to_thread(main, ["--config", CONFIG, "users", "create", "ali", "--role", "admin"]) == 1
    assert "already an account named 'ali'" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["--config", CONFIG, "users", "list"]) == 0
    assert re.search(r"^ali\tviewer\tfa\tcreated \d{4}-\d\d-\d\d \d\d:\d\d$", capsys.readouterr().out, re.M)


async def test_wrong_passwords_lock_the_account_for_a_while(console, clock: ManualClock) -> None:
    await make_user(console, "reza")
    for _ in range(4):
        wrong = await sign_in(console, "reza", "not the password")
        assert wrong.status == 401 and "نام کاربری یا گذرواژه درست نیست" in await wrong.text()
    locked = await sign_in(console, "reza", "not the password")
    assert locked.status == 403 and "قفل است" in await locked.text()
    still = await sign_in(console, "reza")  # even the right password, while locked
    assert still.status == 403 and "قفل است" in await still.text()
    unknown = await sign_in(console, "nobody", "whatever it is")
    assert unknown.status == 401  # the same answer as a wrong password: no telling which names exist

    clock.advance(15 * 60 + 1)
    assert (await sign_in(console, "reza")).status == 303
    assert await actions_of(console, "reza") == ["user.sign_in_failed"] * 4 + ["user.locked", "user.signed_in"]


async def test_an_admin_or_the_cli_unlocks_an_account_at_once(console, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    await make_user(console, "sara")
    for _ in range(5):
        await sign_in(console, "sara", "not the password")
    assert (await sign_in(console, "sara")).status == 403
    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())
    assert await asyncio.to_thread(main, ["--config", CONFIG, "users", "change", "sara", "--unlock"]) == 0
    assert (await sign_in(console, "sara")).status == 303


async def test_one_address_may_not_guess_across_accounts(console) -> None:
    limit = console.app[GATEWAY].settings.console.login_attempts_per_minute
    for number in range(limit):
        assert (await sign_in(console, f"user{number}", "not the password")).status == 401
    refused = await sign_in(console, "user0", "not the password")
    assert refused.status == 429 and "یک دقیقه دیگر" in await refused.text()


async def test_behind_a_trusted_proxy_each_browser_has_its_own_attempts(aiohttp_client, settings: Settings) -> None:
    proxied = await aiohttp_client(await create_app(settings.updated({"console": {"trusted_proxies": ["127.0.0.0/8"],
                                                                                  "login_attempts_per_minute": 2}})))
    for _ in range(2):
        assert (await sign_in(proxied, "x", "not the password", headers={"X-Forwarded-For": "203.0.113.7"})).status == 401
    assert (await sign_in(proxied, "x", "not the password", headers={"X-Forwarded-For": "203.0.113.7"})).status == 429
    # another browser behind the same proxy is not held back; a forged first entry does not help the first
    assert (await sign_in(proxied, "x", "not the password", headers={"X-Forwarded-For": "198.51.100.9"})).status == 401
    forged = await sign_in(proxied, "x", "not the password", headers={"X-Forwarded-For": "192.0.2.1, 203.0.113.7"})
    assert forged.status == 429

    direct = await aiohttp_client(await create_app(settings.updated({"console": {"login_attempts_per_minute": 2}})))
    for forwarded in ("203.0.113.7", "198.51.100.9"):  # no trusted proxy: the header is anyone's to write, so it is ignored
        assert (await sign_in(direct, "x", "not the password", headers={"X-Forwarded-For": forwarded})).status == 401
    assert (await sign_in(direct, "x", "not the password", headers={"X-Forwarded-For": "192.0.2.99"})).status == 429


async def test_forms_need_the_session_token_and_the_console_origin(console, aiohttp_client, settings: Settings) -> None:
    await make_user(console, "nima")
    await sign_in(console, "nima")
    no_token = await console.post("/console/logout", data={}, allow_redirects=False)
    assert no_token.status == 403 and "<html" in await no_token.text()
    wrong_token = await console.post("/console/logout", data={"csrf": "x" * 43}, allow_redirects=False)
    assert wrong_token.status == 403
    token = await csrf_of(console)
    elsewhere = await console.post("/console/logout", data={"csrf": token}, headers={"Origin": "https://evil.example"}, allow_redirects=False)
    assert elsewhere.status == 403
    assert (await console.get("/console")).status == 200  # still signed in: none of those did anything

    stale_login = await console.post("/console/login", data={"form_token": "made-up", "name": "nima", "password": PASSWORD},
                                     allow_redirects=False)
    assert stale_login.status == 403  # the sign-in form's own token is missing from the cookie


async def test_a_session_ends_after_the_idle_limit(console, clock: ManualClock) -> None:
    await make_user(console, "leila")
    await sign_in(console, "leila")
    clock.advance(29 * 60)
    assert (await console.get("/console")).status == 200  # a request resets the idle time
    clock.advance(29 * 60)
    assert (await console.get("/console")).status == 200
    clock.advance(31 * 60)
    gone = await console.get("/console", allow_redirects=False)
    assert gone.status == 303 and gone.headers["Location"].startswith("/console/login")


async def test_a_password_change_ends_every_session(console, aiohttp_client) -> None:
    await make_user(console, "hadi")
    other = await aiohttp_client(console.server)
    await sign_in(console, "hadi")
    await sign_in(other, "hadi")
    wrong = await post_form(console, "/console/account/password",
                            {"current": "not it at all", "new": "a new long secret", "repeat": "a new long secret"}, page="/console/account")
    assert wrong.status == 400 and "current password is not right" in await wrong.text()
    differ = await post_form(console, "/console/account/password", {"current": PASSWORD, "new": "a new long secret", "repeat": "another one"},
                             page="/console/account")
    assert differ.status == 400 and "دو گذرواژهٔ تازه یکی نیستند" in await differ.text()
    changed = await post_form(console, "/console/account/password", {"current": PASSWORD, "new": "a new long secret", "repeat": "a new long secret"},
                              page="/console/account")
    assert changed.status == 303 and changed.headers["Location"] == "/console/login"
    for browser in (console, other):
        assert (await browser.get("/console", allow_redirects=False)).status == 303
    assert (await sign_in(console, "hadi")).status == 401
    assert (await sign_in(console, "hadi", "a new long secret")).status == 303
    assert "user.password_changed" in await actions_of(console, "hadi")


async def test_the_language_is_kept_per_user(console) -> None:
    await make_user(console, "john", language="en")
    login = await console.get("/console/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en" dir="ltr">' in await login.text()
    await sign_in(console, "john")
    page = await (await console.get("/console")).text()
    assert '<html lang="en" dir="ltr">' in page and "Welcome, john" in page
    assert (await post_form(console, "/console/language", {"lang": "fa", "next": "/console/account"})).headers["Location"] == "/console/account"
    page = await (await console.get("/console")).text()
    assert '<html lang="fa" dir="rtl">' in page
    assert (await users_of(console).named("john")).language == "fa"  # type: ignore[union-attr]
    assert (await post_form(console, "/console/language", {"lang": "de"})).status == 400


async def test_a_disabled_account_is_signed_out_at_once(console) -> None:
    await make_user(console, "omid")
    await sign_in(console, "omid")
    await users_of(console).change("omid", actor="cli:test", disabled=True)
    assert (await console.get("/console", allow_redirects=False)).status == 303
    assert (await sign_in(console, "omid")).status == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/console.evil/x", "/other"])
async def test_signing_in_never_sends_the_browser_elsewhere(console, target: str) -> None:
    await make_user(console, "parisa")
    answer = await sign_in(console, "parisa", next_page=target)
    assert answer.status == 303 and answer.headers["Location"] == "/console"


async def test_the_cookie_is_secure_behind_https_and_the_console_can_be_turned_off(aiohttp_client, settings: Settings) -> None:
    secure = await aiohttp_client(await create_app(settings.updated({"server": {"public_base_url": "https://pishkhan.example.ir"}})))
    await make_user(secure, "kian")
    assert "Secure" in (await sign_in(secure, "kian")).headers["Set-Cookie"]
    off = await aiohttp_client(await create_app(settings.updated({"console": {"enabled": False}})))
    assert (await off.get("/console/login")).status == 404


async def test_errors_are_pages_with_the_console_headers(console) -> None:
    await make_user(console, "bahar")
    await sign_in(console, "bahar")
    missing = await console.get("/console/no-such-page")
    assert missing.status == 404 and "این صفحه پیدا نشد" in await missing.text()
    assert missing.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]
