"""Mounts the operator console under `/console` (unless `console.enabled` is false).

A sub-application, so its middlewares (security headers, HTML errors, the sign-in guard) apply to its
pages only. Templates are Jinja2 with autoescaping on and undefined names an error, so an
operator-written text is always shown as text and a template typo fails its test.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.console import account, admin, analytics, catalogue, complaints, consultations, desk, flows, home, simulator
from gateway.console.guard import guard, html_errors, security_headers
from gateway.console.i18n import Words
from gateway.console.logins import Logins
from gateway.console.users import UserStore
from gateway.console.web import LOGINS, NAVIGATION, ON_SIGN_OUT, PREFIX, SETTINGS, TIMEZONE, USERS, WORDS
from gateway.runtime import GATEWAY

PAGES = (home, desk, complaints, catalogue, flows, analytics, simulator, admin, consultations, account)
"""Every page module: each has TEXTS, NAV and setup(console)."""
HERE = Path(__file__).parent


def setup(app: web.Application) -> None:
    """Mount the console on the gateway's application."""
    gateway = app[GATEWAY]
    settings = gateway.settings.console
    if not settings.enabled:
        return
    console = web.Application(middlewares=[security_headers, html_errors, guard], client_max_size=gateway.settings.api.max_content_bytes)
    console[GATEWAY] = gateway
    console[SETTINGS] = settings
    console[USERS] = UserStore(gateway.db, settings, gateway.requests.clock)
    console[LOGINS] = Logins(gateway.db, settings, gateway.requests.clock)
    console[WORDS] = Words.of(page.TEXTS for page in PAGES)
    console[TIMEZONE] = gateway.requests.calendar.tz
    console[NAVIGATION] = tuple(item for page in PAGES for item in page.NAV)
    console[ON_SIGN_OUT] = []
    aiohttp_jinja2.setup(console, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                         undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    for page in PAGES:
        page.setup(console)
    console.router.add_static("/static", HERE / "static", append_version=False)
    app.add_subapp(PREFIX, console)
