"""Every operator API route and every console page, walked as a viewer, shows no phone number, national code
or personal input unmasked. The routes come from the route tables, so a route added later is walked too (and
a route whose path needs a value this test does not know fails it, until the value is given here)."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web
from api_tokens import role_headers
from console_pages import make_user, sign_in
from ussd_citizen import FIRST_ID_CARD_EN, PHONE, apply_by_ussd
from waiting import eventually

from flows.dates import parse_date
from gateway.api.mount import PREFIX
from gateway.app import GATEWAY
from gateway.console.web import PREFIX as CONSOLE

NATIONAL_CODE, BIRTH_DATE = "0499370899", "1368/11/03"
APPLY = [*FIRST_ID_CARD_EN[:7], BIRTH_DATE, *FIRST_ID_CARD_EN[8:]]
"""The smart ID card with both its personal inputs (a birth date unlike the catalogue's example)."""
BIRTH_STORED = parse_date(BIRTH_DATE).isoformat()
"""How the birth date is kept (the date validator stores the Gregorian ISO date)."""
SECRETS = (PHONE, PHONE[3:], "0" + PHONE[3:], NATIONAL_CODE, BIRTH_STORED)
"""A phone number in any form it is written in, the national code, the birth date."""
_PARAM = re.compile(r"\{([^}]+)\}")


def routes_of(app: web.Application, prefix: str) -> list[tuple[str, str]]:
    """(method, path template) of every route of the sub-application mounted at `prefix`."""
    for resource in app.router.resources():
        info = resource.get_info()
        if isinstance(resource, web.PrefixedSubAppResource) and info.get("prefix") == prefix:
            return sorted({(route.method, route.resource.canonical.removeprefix(prefix)) for route in info["app"].router.routes()
                           if route.method != "HEAD" and route.resource is not None})
    raise AssertionError(f"nothing is mounted at {prefix}")


async def _seed(client: Any) -> dict[str, str]:
    """A request with personal inputs, its payment and messages, a complaint and a rating comment quoting them."""
    gateway = client.app[GATEWAY]
    await gateway.db.execute(  # an agency system that opted in to personal data: its deliveries are in the log viewers read
        "INSERT INTO event_subscriptions (agency, url, types, personal, secret, created_by, created_at, updated_at)"
        " VALUES ('sabt', 'https://127.0.0.1:9/', '[\"request.submitted\", \"complaint.filed\"]', 1, 'whsec_x', 'test', 0, 0)")
    code = await apply_by_ussd(client, APPLY)
    for status in ("in_review", "approved", "delivered"):
        await gateway.requests.transition(code, status, actor="cli:test", reason=f"checked {NATIONAL_CODE} with {PHONE}")
    complaint = await gateway.complaints.file("complaint", f"call me on 0{PHONE[3:]}, national code {NATIONAL_CODE}", request_code=code,
                                              channel="ussd", address=f"tel:{PHONE}", phone=PHONE, lang="en")
    await eventually(lambda: gateway.db.fetchone("SELECT id FROM feedback_surveys"))
    await gateway.db.execute("UPDATE feedback_surveys SET rating = 2, comment = ?, answered_at = ?",
                             (f"slow; I am {NATIONAL_CODE}", time.time()))
    payment = await gateway.db.fetchone("SELECT id FROM payments")
    message = await gateway.db.fetchone("SELECT id FROM outbox WHERE kind = 'receipt'")
    return {"/requests/{code}": code, "/complaints/{code}": complaint.code, "/payments/{id}": str(payment["id"]),
            "/outbox/{id}": str(message["id"]), "/flows/{version}": "1", "/services/{id}": "121095100", "/consultations/{id}": "1",
            "/flows/{version}/nodes/{ref}": "main:home", "/tokens/{id}": "1", "/users/{name}": "vida", "/simulator/{run}": "1",
            "/analytics/{kind}": "services", "/agencies/{agency}": "sabt", "/agencies/{agency}/subscriptions/{id}": "1"}


def _path(template: str, values: dict[str, str]) -> str:
    """The template with each parameter filled from `values`, keyed by the template up to that parameter."""
    def fill(match: re.Match[str]) -> str:
        key = template[: match.end()]
        assert key in values, f"give {key} a value in _seed: a new route needs one"
        return values[key]
    return _PARAM.sub(fill, template)


async def test_a_viewer_walking_every_api_route_sees_no_phone_national_code_or_personal_input(client) -> None:  # type: ignore[no-untyped-def]
    values = await _seed(client)
    headers = await role_headers(client.app[GATEWAY].db)
    routes = routes_of(client.app, PREFIX)
    assert ("GET", "/requests/{code}") in routes and len(routes) > 30
    seen: dict[str, int] = {}
    for method, template in routes:
        path = PREFIX + _path(template, values)
        for query in ("", "?format=csv") if template.startswith("/analytics") else ("",):
            answer = await client.request(method, path + query, headers=headers["viewer"], json={} if method != "GET" else None)
            body = await answer.text()
            seen[f"{method} {template}{query}"] = answer.status
            for secret in SECRETS:
                assert secret not in body, f"{method} {path}{query} ({answer.status}) shows {secret} to a viewer: {body[:300]}"
    assert {seen[f"GET {t}"] for t in ("/requests", "/requests/{code}", "/complaints", "/complaints/{code}", "/outbox", "/outbox/{id}",
                                       "/payments", "/payments/{id}", "/feedback")} == {200}

    # The walk reaches the data: an operator reading the same request and complaint sees it in full.
    full = await (await client.get(f"{PREFIX}/requests/{values['/requests/{code}']}", headers=headers["operator"])).text()
    assert NATIONAL_CODE in full and BIRTH_STORED in full and PHONE in full
    complaint = await (await client.get(f"{PREFIX}/complaints/{values['/complaints/{code}']}", headers=headers["operator"])).text()
    assert NATIONAL_CODE in complaint


async def test_a_viewer_walking_every_console_page_sees_no_phone_national_code_or_personal_input(client) -> None:  # type: ignore[no-untyped-def]
    values = await _seed(client)
    await make_user(client, "vida", "viewer", language="en")
    assert (await sign_in(client, "vida")).status == 303
    seen: dict[str, int] = {}
    for method, template in routes_of(client.app, CONSOLE):
        if method != "GET":
            continue  # a viewer's forms change nothing; what they read is what is walked
        path = CONSOLE + _path(template, values)
        answer = await client.get(path, allow_redirects=False)
        body = await answer.text()
        seen[template] = answer.status
        for secret in SECRETS:
            assert secret not in body, f"GET {path} ({answer.status}) shows {secret} to a viewer"
    assert {seen[t] for t in ("/requests", "/requests/{code}", "/complaints", "/complaints/{code}", "/analytics/{kind}.csv")} == {200}, seen
