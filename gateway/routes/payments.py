"""The citizen's pay pages: `/pay/<token>`, starting and renewing, the provider callback, the sandbox bank.

Nothing changes on a GET except the provider callback, which only asks the provider (server to
server, with our stored amount) and is idempotent. Every POST carries the link's form token in the
form and in a SameSite=Strict cookie scoped to the link (double submit); a mismatch changes nothing.
"""

from __future__ import annotations

import urllib.parse

from aiohttp import web

from gateway.payments import LinkProblem, PaymentService, pages
from gateway.payments.links import same_secret
from gateway.payments.sandbox import SANDBOX_PATH, SandboxBank
from gateway.payments.texts import page_text
from gateway.runtime import GATEWAY

COOKIE = "pishkhan_pay"
MAX_FORM = 1024
PROVIDER_LABELS = {"sandbox": "Sandbox", "zarinpal": "Zarinpal"}
SECURITY = web.AppKey("payment_page_headers", dict)


def _payments(request: web.Request) -> PaymentService:
    payments = request.app[GATEWAY].payments
    if payments is None:
        raise web.HTTPNotFound()
    return payments


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _html(request: web.Request, body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8", headers=request.app[SECURITY])


def _set_form_cookie(request: web.Request, response: web.Response, value: str, path: str) -> None:
    secure = request.app[GATEWAY].settings.server.public_base_url.startswith("https://")
    response.set_cookie(COOKIE, value, path=path, httponly=True, samesite="Strict", secure=secure)


async def _form(request: web.Request) -> dict[str, str]:
    """A small urlencoded form; anything larger or odd is an empty form (and so fails the CSRF check)."""
    if request.content_length is not None and request.content_length > MAX_FORM:
        return {}
    raw = await request.content.read(MAX_FORM + 1)
    if len(raw) > MAX_FORM:
        return {}
    return dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), max_num_fields=8))


def _lang(request: web.Request, default: str) -> str:
    wanted = request.query.get("lang", default)
    return wanted if wanted in request.app[GATEWAY].settings.flows.languages else default


async def link_page(request: web.Request, alert_key: str | None = None, status: int = 200) -> web.Response:
    """GET /pay/<token>: the payment's state and what can be done next."""
    payments = _payments(request)
    token = request.match_info["token"]
    view = await payments.view(token)
    if view is None:
        return _html(request, pages.not_found_page(), 404)
    lang = _lang(request, view.request.lang)
    body = pages.link_page(view, token, lang, payments.service_title(view.request.service_id, lang),
                           PROVIDER_LABELS.get(payments.provider.name, payments.provider.name),
                           alert=page_text(alert_key, lang) if alert_key else None)
    response = _html(request, body, status)
    _set_form_cookie(request, response, view.payment.csrf, f"/pay/{token}")
    return response


async def start(request: web.Request) -> web.StreamResponse:
    """POST /pay/<token>/start: go to the bank (303), or say why not."""
    token = request.match_info["token"]
    form = await _form(request)
    try:
        url = await _payments(request).start(token, form.get("csrf"), request.cookies.get(COOKIE))
    except LinkProblem as problem:
        return await _problem(request, token, problem)
    raise web.HTTPSeeOther(url, headers=request.app[SECURITY])


async def renew(request: web.Request) -> web.StreamResponse:
    """POST /pay/<token>/renew: send a new link to the citizen's own channel."""
    token = request.match_info["token"]
    form = await _form(request)
    try:
        await _payments(request).renew(token, form.get("csrf"), request.cookies.get(COOKIE))
    except LinkProblem as problem:
        return await _problem(request, token, problem)
    raise web.HTTPSeeOther(f"/pay/{token}", headers=request.app[SECURITY])


async def _problem(request: web.Request, token: str, problem: LinkProblem) -> web.StreamResponse:
    if problem.kind == "not_found":
        return _html(request, pages.not_found_page(), 404)
    if problem.kind == "stale_form":
        return _html(request, pages.stale_form_page(token), 403)
    if problem.kind == "bank_down":
        return await link_page(request, "bank_down", 503)
    raise web.HTTPSeeOther(f"/pay/{token}", headers=request.app[SECURITY])  # the page shows the current state


async def callback(request: web.Request) -> web.Response:
    """GET /pay/callback/<provider>: the browser is back from the bank; verify and show the result."""
    payments = _payments(request)
    payment = await payments.callback(request.match_info["provider"], request.query)
    if payment is None:
        return _html(request, pages.not_found_page(), 404)
    view = await payments.view_of(payment)
    lang = view.request.lang
    return _html(request, pages.result_page(view, lang, payments.service_title(view.request.service_id, lang)))


def _sandbox(request: web.Request) -> SandboxBank:
    provider = _payments(request).provider
    if not isinstance(provider, SandboxBank):
        raise web.HTTPNotFound()
    return provider


async def sandbox_page(request: web.Request) -> web.Response:
    """GET /pay/sandbox/<authority>: the sandbox bank's pay / cancel page."""
    authority = request.match_info["authority"]
    session = await _sandbox(request).session(authority)
    if session is None:
        return _html(request, pages.not_found_page(), 404)
    response = _html(request, pages.sandbox_page(session, request.path))
    _set_form_cookie(request, response, session.csrf, request.path)
    return response


async def sandbox_decide(request: web.Request) -> web.StreamResponse:
    """POST /pay/sandbox/<authority>: pay or cancel, then back to the merchant's callback like a bank does."""
    bank = _sandbox(request)
    authority = request.match_info["authority"]
    session = await bank.session(authority)
    if session is None:
        return _html(request, pages.not_found_page(), 404)
    form = await _form(request)
    if not (same_secret(form.get("csrf"), session.csrf) and same_secret(request.cookies.get(COOKIE), session.csrf)):
        return _html(request, pages.plain_page(page_text("try_again", "fa") + "\n" + page_text("try_again", "en"), link=request.path), 403)
    back = await bank.decide(authority, pay=form.get("action") == "pay")
    raise web.HTTPSeeOther(back or "/", headers=request.app[SECURITY])


def setup(app: web.Application) -> None:
    """Register the pay pages (and the sandbox bank's when it is the provider)."""
    payments = app[GATEWAY].payments
    if payments is None:
        return
    origins = {_origin(payments.public_base_url), _origin(payments.provider.redirect_url("x"))}
    app[SECURITY] = {
        "Content-Security-Policy": pages.csp(origins), "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
    }
    app.router.add_get("/pay/callback/{provider}", callback)
    if isinstance(payments.provider, SandboxBank):
        app.router.add_get(SANDBOX_PATH + "{authority}", sandbox_page)
        app.router.add_post(SANDBOX_PATH + "{authority}", sandbox_decide)
    app.router.add_get("/pay/{token}", link_page)
    app.router.add_post("/pay/{token}/start", start)
    app.router.add_post("/pay/{token}/renew", renew)
