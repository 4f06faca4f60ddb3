"""Signing in and out, one's own password and language.

The sign-in form has no session yet, so its CSRF defence is a double-submit token: a random cookie
set with the form and the same value in a hidden field (a page on another site can set neither).
Attempts are limited per client address (`login_attempts_per_minute`, guessing across accounts)
besides each account's own lockout (gateway.console.users).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict, deque

from aiohttp import web

from gateway.console.guard import COOKIE
from gateway.console.i18n import Texts
from gateway.console.users import LANGUAGES, LoginRefused, UserError
from gateway.console.web import (
    LANG_COOKIE,
    LOGINS,
    ON_SIGN_OUT,
    PREFIX,
    SETTINGS,
    SIGNED_IN,
    USERS,
    NavItem,
    gateway_of,
    read_form,
    render,
    see_other,
    signed_in,
    speaker,
    text_field,
)

FORM_COOKIE = "pishkhan_console_form"
NAV = (NavItem(f"{PREFIX}/account", "account.title"),)
TEXTS: Texts = {
    "account.title": {"fa": "حساب من", "en": "My account"},
    "login.title": {"fa": "ورود به پیشخوان", "en": "Sign in to Pishkhan"},
    "login.name": {"fa": "نام کاربری", "en": "User name"},
    "login.password": {"fa": "گذرواژه", "en": "Password"},
    "login.submit": {"fa": "ورود", "en": "Sign in"},
    "login.wrong": {"fa": "نام کاربری یا گذرواژه درست نیست.", "en": "The user name or password is not right."},
    "login.locked": {"fa": "این حساب به دلیل تلاش‌های نادرست تا {until} قفل است.",
                     "en": "This account is locked after too many wrong passwords, until {until}."},
    "login.too_many": {"fa": "تلاش‌های زیادی از این نشانی شده است؛ یک دقیقه دیگر دوباره تلاش کنید.",
                       "en": "Too many attempts from this address; try again in a minute."},
    "login.stale": {"fa": "فرم کهنه شده بود؛ دوباره وارد شوید.", "en": "The form had gone stale; please sign in again."},
    "logout": {"fa": "خروج", "en": "Sign out"},
    "account.password": {"fa": "تغییر گذرواژه", "en": "Change password"},
    "account.current": {"fa": "گذرواژهٔ کنونی", "en": "Current password"},
    "account.new": {"fa": "گذرواژهٔ تازه (دست‌کم ۱۰ نویسه)", "en": "New password (at least 10 characters)"},
    "account.repeat": {"fa": "تکرار گذرواژهٔ تازه", "en": "New password again"},
    "account.mismatch": {"fa": "دو گذرواژهٔ تازه یکی نیستند.", "en": "The two new passwords differ."},
    "account.changed": {"fa": "گذرواژه تغییر کرد. دوباره وارد شوید.", "en": "Password changed. Please sign in again."},
    "account.role": {"fa": "نقش: {role}", "en": "Role: {role}"},
    "language": {"fa": "زبان", "en": "Language"},
    "language.apply": {"fa": "تغییر زبان", "en": "Switch language"},
    "role.viewer": {"fa": "بیننده", "en": "viewer"},
    "role.operator": {"fa": "کارشناس", "en": "operator"},
    "role.admin": {"fa": "مدیر", "en": "admin"},
}


class AttemptLimit:
    """At most `per_minute` attempts per client address in any minute; remembers at most `addresses`
    addresses (the oldest forgotten first), so a flood of addresses cannot grow memory without end."""

    def __init__(self, per_minute: int, addresses: int = 10_000) -> None:
        self.per_minute, self.addresses = per_minute, addresses
        self.seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, address: str, now: float) -> bool:
        """Count an attempt; False when the address has used its minute's attempts."""
        times = self.seen.pop(address, None) or deque()
        while times and times[0] <= now - 60:
            times.popleft()
        self.seen[address] = times
        if len(self.seen) > self.addresses:
            self.seen.popitem(last=False)
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        return True


ATTEMPTS = web.AppKey("console_attempts", AttemptLimit)


def _safe_next(value: str) -> str:
    """Where to go after signing in: a console path only (never another site: `//evil`, `/console.evil`)."""
    if value == PREFIX or (value.startswith(f"{PREFIX}/") and not value.startswith("//") and "\\" not in value):
        return value
    return PREFIX


def _secure(request: web.Request) -> bool:
    """Cookies are Secure when the console is reached over https (directly or by its public URL)."""
    return request.secure or gateway_of(request).settings.server.public_base_url.startswith("https://")


def _login_page(request: web.Request, *, error: str | None = None, status: int = 200, **values: object) -> web.Response:
    form_token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"form_token": form_token, "next": _safe_next(request.query.get("next", PREFIX)),
                                              "error": speaker(request).t(error, **values) if error else None}, status=status)
    response.set_cookie(FORM_COOKIE, form_token, path=f"{PREFIX}/login", httponly=True, samesite="Strict", secure=_secure(request))
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    """The sign-in page (or the home page for a browser already signed in)."""
    if SIGNED_IN in request:
        return see_other(PREFIX)
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    """Check the name and password; on success start a session and go where the user was heading."""
    form = await request.post()
    sent, expected = str(form.get("form_token", "")), request.cookies.get(FORM_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_page(request, error="login.stale", status=403)
    address = request.config_dict[SETTINGS].client_address(request.remote, request.headers.get("X-Forwarded-For"))
    if not request.config_dict[ATTEMPTS].allow(address, time.monotonic()):
        return _login_page(request, error="login.too_many", status=429)
    users = request.config_dict[USERS]
    try:
        user = await users.sign_in(text_field(form, "name", limit=64, required=False), str(form.get("password", "")))
    except LoginRefused as refused:
        if refused.reason == "locked":
            return _login_page(request, error="login.locked", status=403, until=speaker(request).when(refused.until))
        return _login_page(request, error="login.wrong", status=401)
    session = await request.config_dict[LOGINS].start(user)
    response = see_other(_safe_next(str(form.get("next", PREFIX))))
    response.set_cookie(COOKIE, session.cookie, path=PREFIX, httponly=True, samesite="Strict", secure=_secure(request))
    response.del_cookie(FORM_COOKIE, path=f"{PREFIX}/login")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """End this browser's session."""
    await read_form(request)
    cookie = signed_in(request).cookie
    await request.config_dict[LOGINS].end(cookie)
    for hook in request.config_dict[ON_SIGN_OUT]:
        await hook(cookie)
    response = see_other(f"{PREFIX}/login")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


async def account(request: web.Request) -> web.StreamResponse:
    """One's own account: role, language, password change."""
    return render(request, "account.html")


async def change_password(request: web.Request) -> web.StreamResponse:
    """Change one's own password; every session of the account ends, this one too."""
    form = await read_form(request)
    new = str(form.get("new", ""))
    if new != str(form.get("repeat", "")):
        return render(request, "account.html", {"error": speaker(request).t("account.mismatch")}, status=400)
    try:
        await request.config_dict[USERS].change_password(signed_in(request).user, str(form.get("current", "")), new)
    except UserError as error:
        return render(request, "account.html", {"error": str(error)}, status=400)
    response = see_other(f"{PREFIX}/login")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


async def choose_language(request: web.Request) -> web.StreamResponse:
    """Switch the console's language: kept on the account when signed in, in a cookie before."""
    form = await read_form(request) if SIGNED_IN in request else await request.post()
    lang = text_field(form, "lang", limit=8)
    if lang not in LANGUAGES:
        raise web.HTTPBadRequest(reason=f"lang: use one of {', '.join(LANGUAGES)}")
    back = _safe_next(str(form.get("next", PREFIX)))
    response = see_other(back)
    if SIGNED_IN in request:
        user = signed_in(request).user
        await request.config_dict[USERS].change(user.name, actor=user.actor, language=lang)
    else:
        response.set_cookie(LANG_COOKIE, lang, path=PREFIX, httponly=True, samesite="Strict", secure=_secure(request),
                            max_age=365 * 24 * 3600)
    return response


def setup(console: web.Application) -> None:
    """Add the sign-in, sign-out, account and language routes."""
    console[ATTEMPTS] = AttemptLimit(console[SETTINGS].login_attempts_per_minute)
    console.router.add_get("/login", login_form)
    console.router.add_post("/login", login)
    console.router.add_post("/logout", logout)
    console.router.add_get("/account", account)
    console.router.add_post("/account/password", change_password)
    console.router.add_post("/language", choose_language)
