"""What every console page shares: who is signed in, the page's language, drawing a template, reading a
form (its CSRF token checked), role checks, and the keys the console application keeps its parts under.

A page module has `TEXTS` (its words, gateway.console.i18n), `NAV` (its menu entries) and
`setup(console)` adding its routes; gateway.console.mount lists the modules.
"""

from __future__ import annotations

import datetime
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from gateway.console.i18n import LANGUAGE_NAMES, Speaker, Words, preferred
from gateway.console.logins import Logins, SignedIn
from gateway.console.settings import ConsoleSettings
from gateway.console.users import LANGUAGES, UserStore
from gateway.runtime import GATEWAY, Gateway
from gateway.scopes import AGENCY, Scope, scope_of

PREFIX = "/console"
LANG_COOKIE = "pishkhan_console_lang"

USERS = web.AppKey("console_users", UserStore)
LOGINS = web.AppKey("console_logins", Logins)
WORDS = web.AppKey("console_words", Words)
SETTINGS = web.AppKey("console_settings", ConsoleSettings)
TIMEZONE = web.AppKey("console_timezone", datetime.tzinfo)
NAVIGATION = web.AppKey("console_navigation", tuple)
SIGNED_IN = web.RequestKey("console_signed_in", SignedIn)
"""The request key of the SignedIn behind a request (absent on the sign-in page)."""
ON_SIGN_OUT = web.AppKey("console_on_sign_out", list)
"""Called with a session's cookie when it signs out: pages keeping things per session (the simulator) close them."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class NavItem:
    """A menu entry: shown to users with at least `role`."""

    path: str
    text: str
    role: str = "viewer"
    national: bool = False
    """Only for users limited to no agency (the page is shared by every agency: tokens, users)."""


class BadFilter(Exception):
    """A list page's filter that page does not know, or a value it does not take: the key of the
    page's text saying so, and the values that text names (shown above the list, what was typed kept)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def gateway_of(request: web.Request) -> Gateway:
    """The running gateway (its requests, content, outbox …)."""
    return request.config_dict[GATEWAY]


def signed_in(request: web.Request) -> SignedIn:
    """Who is signed in (the guard lets no request without a session reach a page that asks)."""
    return request[SIGNED_IN]


def language_of(request: web.Request) -> str:
    """The signed-in user's language; before sign-in the cookie's, else the browser's."""
    if SIGNED_IN in request:
        return signed_in(request).user.language
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else preferred(request.headers.get("Accept-Language", ""))


def speaker(request: web.Request) -> Speaker:
    """The language helpers of this request's page."""
    return Speaker(request.config_dict[WORDS], language_of(request), request.config_dict[TIMEZONE])


def render(request: web.Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200) -> web.Response:
    """A page from `template` with what every page shows (the user, the menu, the form token, the language)."""
    who = request.get(SIGNED_IN)
    menu = [item for item in request.config_dict[NAVIGATION]
            if who is not None and who.user.can(item.role) and not (item.national and who.user.agencies is not None)]
    base = {"s": speaker(request), "me": who.user if who else None, "csrf": who.csrf if who else "", "nav": menu,
            "path": request.path, "languages": LANGUAGE_NAMES, "prefix": PREFIX, "error": None}
    return aiohttp_jinja2.render_template(template, request, {**base, **(context or {})}, status=status)


def see_other(location: str) -> web.Response:
    """The answer to a form that worked: go to `location` (a GET, so a reload does not post again)."""
    return web.Response(status=303, headers={"Location": location})


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form, refused (403) unless it carries this session's CSRF token."""
    form = await request.post()
    sent = form.get("csrf")
    who = request.get(SIGNED_IN)
    if who is None or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), who.csrf.encode()):
        raise web.HTTPForbidden(reason="the form is stale or was not sent from the console; reload the page and try again")
    return form


SCOPE = web.RequestKey("console_scope", Scope)
"""The request key of the signed-in user's Scope (gateway.scopes), set by `requires`."""
SCOPE_RULE = "console_scope_rule"
"""The attribute a page handler keeps its scope rule under (AGENCY or NATIONAL), for the test that every page has one."""


def requires(role: str, scope: str | None = None) -> Callable[[Handler], Handler]:
    """A page for users with at least `role`; others get 403. `scope` is the page's rule (gateway.scopes): AGENCY pages
    show a scoped user only its agencies' things (`scope_of_page`), NATIONAL ones (and those with no rule) are 403 to
    a scoped user."""
    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            user = signed_in(request).user
            if not user.can(role):
                raise web.HTTPForbidden(reason=f"this page needs the {role} role")
            if user.agencies is not None and scope != AGENCY:
                raise web.HTTPForbidden(reason="this page is shared by every agency: it needs an account limited to no agency")
            gateway = gateway_of(request)
            request[SCOPE] = await scope_of(gateway.db, gateway.catalogue, user.agencies)
            return await handler(request)
        setattr(checked, SCOPE_RULE, scope)
        return checked
    return decorate


def scope_of_page(request: web.Request) -> Scope:
    """What the signed-in user's scope sees, as `requires` found it. A page that reads it without `requires` fails (a
    KeyError, a 500) rather than showing a scoped user every agency."""
    return request[SCOPE]


def typed_text(form: Mapping[str, Any], name: str) -> str:
    """What was typed in a form's text field, trimmed ("" when absent), for a page that checks it itself
    and shows it again; 400 naming the field when it is not text (a file)."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise web.HTTPBadRequest(reason=f"{name}: expected text")
    return value.strip()


def text_field(form: Mapping[str, Any], name: str, *, limit: int = 1000, required: bool = True) -> str:
    """A text field of a form, trimmed; 400 naming the field when it is missing, too long or not text."""
    value = typed_text(form, name)
    if required and not value:
        raise web.HTTPBadRequest(reason=f"{name}: required")
    if len(value) > limit:
        raise web.HTTPBadRequest(reason=f"{name}: at most {limit} characters")
    return value
