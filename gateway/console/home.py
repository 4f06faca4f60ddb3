"""The console's home page: what needs attention now (open and late requests, dead messages), and the
words every page shares (its name, the menu, error pages)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from gateway.console.i18n import Texts
from gateway.console.web import gateway_of, render, requires, scope_of_page
from gateway.requests.lifecycle import OPEN
from gateway.requests.store import RequestFilter
from gateway.scopes import AGENCY

NAV = ()
TEXTS: Texts = {
    "console.name": {"fa": "پیشخوان", "en": "Pishkhan"},
    "console.home": {"fa": "خانه", "en": "Home"},
    "console.menu": {"fa": "فهرست اصلی", "en": "Main menu"},
    "console.skip": {"fa": "رفتن به محتوا", "en": "Skip to content"},
    "home.greeting": {"fa": "{name}، خوش آمدید", "en": "Welcome, {name}"},
    "home.open": {"fa": "درخواست باز", "en": "open requests"},
    "home.late": {"fa": "درخواست دیرکرده", "en": "late requests"},
    "home.version": {"fa": "نسخهٔ زندهٔ جریان‌ها", "en": "live content version"},
    "error.400": {"fa": "درخواست درست نبود", "en": "The request was not right"},
    "error.401": {"fa": "نیاز به ورود", "en": "Sign-in needed"},
    "error.403": {"fa": "اجازهٔ این کار را ندارید", "en": "Not allowed"},
    "error.404": {"fa": "این صفحه پیدا نشد", "en": "Page not found"},
    "error.405": {"fa": "این کار در این صفحه نمی‌شود", "en": "Not possible on this page"},
    "error.409": {"fa": "در این میان چیزی تغییر کرد", "en": "Something changed meanwhile"},
    "error.413": {"fa": "فرستاده بیش از اندازه بزرگ بود", "en": "What was sent is too large"},
    "error.429": {"fa": "تلاش‌ها بیش از اندازه بود", "en": "Too many attempts"},
    "error.500": {"fa": "خطایی پیش آمد؛ دوباره تلاش کنید", "en": "Something went wrong; try again"},
    "error.503": {"fa": "پایگاه داده در دسترس نیست؛ کمی بعد دوباره تلاش کنید",
                  "en": "The store is unavailable; try again shortly"},
}


@dataclass(frozen=True)
class Tile:
    """A figure on the home page."""

    text: str
    count: int
    warn: bool = False


@requires("viewer", scope=AGENCY)
async def home(request: web.Request) -> web.StreamResponse:
    """What needs attention: open and late requests (of the user's agencies), and the content version citizens are served."""
    gateway = gateway_of(request)
    requests = gateway.requests
    services = scope_of_page(request).services
    open_total = 0
    for status in sorted(OPEN):
        open_total += (await requests.search(RequestFilter(status=status, services=services, limit=1)))[1]
    late = (await requests.search(RequestFilter(late_on=gateway.requests.calendar.today(), services=services, limit=1)))[1]
    tiles = [Tile("home.open", open_total), Tile("home.late", late, warn=late > 0)]
    return render(request, "home.html", {"tiles": tiles, "version": gateway.content.number})


def setup(console: web.Application) -> None:
    """Add the home page."""
    console.router.add_get("", home)
    console.router.add_get("/", home)
