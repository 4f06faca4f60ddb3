"""The console's middlewares: security headers on every answer, errors drawn as pages, and the guard
that lets only signed-in browsers past (and only forms from the console itself).

The Content-Security-Policy allows our own stylesheet and scripts and nothing else (no inline
script, no inline style, no outside resource, no framing), so an operator-written text that slipped
past escaping still could not run. Cookies are checked on every request; a form whose `Origin` is
not the console's own is refused before any handler reads it.
"""

from __future__ import annotations

import logging

from aiohttp import web
from yarl import URL

from gateway.console.web import LOGINS, PREFIX, SIGNED_IN, Handler, gateway_of, render
from gateway.store import StoreError

log = logging.getLogger(__name__)

COOKIE = "pishkhan_console"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; connect-src 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}
OPEN_PATHS = (f"{PREFIX}/login", f"{PREFIX}/language")
"""Pages a browser may reach before signing in (the static files too)."""


def is_static(path: str) -> bool:
    """The console's own stylesheet and scripts."""
    return path.startswith(f"{PREFIX}/static/")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer, errors and redirects included, carries the console's headers; pages are never cached
    (they show personal data), the static files are."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(HEADERS)
        exc.headers["Cache-Control"] = "no-store"
        raise
    response.headers.update(HEADERS)
    response.headers["Cache-Control"] = "public, max-age=3600" if is_static(request.path) else "no-store"
    return response


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as console pages in the user's language: what went wrong and a way back; never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return render(request, "error.html", {"status": exc.status, "reason": exc.reason}, status=exc.status)
    except StoreError as error:
        log.warning("console: store unavailable on %s %s: %s", request.method, request.path, error)
        return render(request, "error.html", {"status": 503, "reason": "store_unavailable"}, status=503)
    except Exception:
        log.exception("console: unhandled error on %s %s", request.method, request.path)
        return render(request, "error.html", {"status": 500, "reason": "internal"}, status=500)


def _own_origins(request: web.Request) -> set[str]:
    """The origins a console form may come from: the one the browser used, and the public base URL's."""
    public = URL(gateway_of(request).settings.server.public_base_url)
    return {f"{request.scheme}://{request.host}", f"{public.scheme}://{public.raw_authority}"}


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find the session behind the cookie; send a browser with none to sign in. Forms from another
    origin are refused whoever sends them (a second line behind the CSRF token)."""
    if request.method not in ("GET", "HEAD") and request.headers.get("Origin") not in (None, *_own_origins(request)):
        raise web.HTTPForbidden(reason="this form was not sent from the console")
    if is_static(request.path):
        return await handler(request)
    found = await request.config_dict[LOGINS].find(request.cookies.get(COOKIE, ""))
    if found is not None:
        request[SIGNED_IN] = found
    elif request.path not in OPEN_PATHS:
        if request.method in ("GET", "HEAD"):
            raise web.HTTPSeeOther(str(URL(f"{PREFIX}/login").with_query(next=request.path_qs)))
        raise web.HTTPForbidden(reason="you are signed out; sign in again")
    return await handler(request)
