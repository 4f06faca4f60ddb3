"""The console's scope matrix: every console page, taken from the console's own route table, opened by an account
scoped to agency A on data seeded in agencies A and B (the API matrix's seed). No page shows B's tracking codes,
complaint codes or phone numbers (nor B's service ids, outside the flow and simulator pages, which draw the menus
every citizen sees); B's single things are 404 to it, pages every agency shares 403; no form moves B's things."""

from __future__ import annotations

import re
from typing import Any

from console_pages import csrf_of, make_user, sign_in, users_of
from test_scope_matrix import Seeded, outbox_settled, rows_of, seed_two_agencies

from gateway.app import GATEWAY
from gateway.audit import AuditLog
from gateway.console.web import PREFIX, SCOPE_RULE
from gateway.scopes import AGENCY, SCOPE_RULES

OWN = {"", "/", "/login", "/logout", "/account", "/account/password", "/language", "/static"}
"""Pages about the signed-in account itself (or before signing in), and the static files: nothing of any agency."""
MENUS = {"flows", "simulator"}
THINGS = {"requests", "complaints", "outbox", "consultations", "services", "payments"}
"""Pages whose path names one agency's thing (the others name a content version, a simulation, an export...)."""
"""Pages that draw the menus every citizen sees, so every service's id may be on them."""
VALUES = {
    ("requests", "code"): lambda s: s.codes[0], ("complaints", "code"): lambda s: s.complaint,
    ("outbox", "id"): lambda s: s.outbox_id, ("consultations", "id"): lambda s: s.poll_id, ("services", "id"): lambda s: s.service.id,
    ("flows", "version"): lambda s: 1, ("flows", "ref"): lambda s: "main:home", ("simulator", "run"): lambda s: "none",
    ("tokens", "id"): lambda s: 1, ("users", "name"): lambda s: "nobody", ("analytics", "kind"): lambda s: "services",
}
"""How to name agency `s`'s thing in a console path, by the path's first segment and the parameter."""


def console_routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path relative to the console, handler) for every console route."""
    [console] = [r.get_info()["app"] for r in app.router.resources() if r.get_info().get("prefix") == PREFIX]
    found = []
    for route in console.router.routes():
        path = route.resource.canonical.removeprefix(PREFIX) if route.resource is not None else ""
        if route.method != "HEAD" and not path.startswith("/static"):
            found.append((route.method, path, route.handler))
    return found


def _params(path: str) -> list[str]:
    return re.findall(r"\{([a-z_]+)", path)


def _url(path: str, target: Seeded) -> str:
    family = path.strip("/").split("/")[0]
    for name in _params(path):
        path = re.sub(r"\{" + name + r"(:[^}]*)?\}", str(VALUES[(family, name)](target)), path)
    return PREFIX + path


async def test_a_scoped_account_sees_and_moves_only_its_agencys_things(client: Any) -> None:
    gateway = client.app[GATEWAY]
    a, b, _ = await seed_two_agencies(client)
    await make_user(client, "reza", "admin")
    await users_of(client).change("reza", actor="cli:test", agencies=[a.agency])
    assert (await sign_in(client, "reza")).status == 303
    routes = [(m, p, h) for m, p, h in console_routes(client.app) if p not in OWN]
    problems: list[str] = []

    for method, path, handler in routes:
        rule = getattr(handler, SCOPE_RULE, None)
        if method != "GET":
            continue
        family = path.strip("/").split("/")[0]
        answer = await client.get(_url(path, b), allow_redirects=False)
        text = await answer.text()
        expected = {403} if rule != AGENCY else {404} if _params(path) and family in THINGS else {200, 404}
        if answer.status not in expected:
            problems.append(f"GET {path} on {b.agency}'s: {answer.status}, not {sorted(expected)}")
        named = {str(VALUES[(family, n)](b)) for n in _params(path)}
        shown = {s for s in b.strings() - named if s in text and not (family in MENUS and s in b.services)}
        problems += [f"GET {path} showed {b.agency}'s {s}" for s in sorted(shown)]
        if rule == AGENCY and not _params(path):
            mine = await client.get(_url(path, a), allow_redirects=False)
            if mine.status != 200:
                problems.append(f"GET {path} on its own: {mine.status}")

    await outbox_settled(gateway)
    before = await rows_of(gateway, b)
    csrf = await csrf_of(client)
    for method, path, handler in routes:
        rule = getattr(handler, SCOPE_RULE, None)
        if method != "POST" or not _params(path) or path.strip("/").split("/")[0] not in THINGS:
            continue
        answer = await client.post(_url(path, b), data={"csrf": csrf, "to": "in_review", "note": "x", "assignee": ""}, allow_redirects=False)
        expected = {404} if rule == AGENCY else {403}
        if answer.status not in expected:
            problems.append(f"POST {path} on {b.agency}'s: {answer.status}, not {sorted(expected)}")
    after = await rows_of(gateway, b)
    problems += [f"{b.agency}'s {table} changed" for table in before if before[table] != after[table]]
    assert not problems, "\n".join(problems)


async def test_every_console_page_declares_its_scope(client: Any) -> None:
    """A page with no rule (requires(role, scope=AGENCY or NATIONAL)), or one the matrix cannot name a thing for, fails here."""
    problems = []
    for method, path, handler in console_routes(client.app):
        if path in OWN:
            continue
        if getattr(handler, SCOPE_RULE, None) not in SCOPE_RULES:
            problems.append(f"{method} {path}: no scope rule")
        family = path.strip("/").split("/")[0]
        problems += [f"{method} {path}: add how to name an agency's {n} to VALUES" for n in _params(path) if (family, n) not in VALUES]
    assert not problems, "\n".join(problems)


async def test_a_national_admin_limits_an_account_to_agencies_in_the_console(client: Any) -> None:
    gateway = client.app[GATEWAY]
    first, second = (a.id for a in gateway.catalogue.agencies[:2])
    await make_user(client, "boss", "admin")
    await make_user(client, "reza", "operator")
    assert (await sign_in(client, "boss")).status == 303
    page = "/console/users/reza"
    changed = await client.post(page, data={"csrf": await csrf_of(client, page), "do": "agencies", "agency": [second, first]},
                                allow_redirects=False)
    assert changed.status == 303
    reza = await users_of(client).named("reza")
    assert reza is not None and reza.agencies == {first, second}
    shown = await (await client.get(page)).text()
    assert f'value="{first}" checked' in shown and f'value="{second}" checked' in shown
    names = [a.name["fa"] for a in gateway.catalogue.agencies[:2]]  # the account's language: Persian names, comma-joined
    assert f"<td>{names[0]}، {names[1]}</td>" in await (await client.get("/console/users")).text()
    entries, _ = await AuditLog(gateway.db).list(action="user.changed", subject="user reza")
    assert [e.detail for e in entries] == [{"agencies": ",".join(sorted((first, second)))}] and entries[0].actor == "console:boss"
    mine = await client.post("/console/users/boss", data={"csrf": await csrf_of(client, page), "do": "agencies", "agency": first},
                             allow_redirects=False)
    assert mine.status == 409  # limiting oneself would shut one out of this page
    everyone = await client.post(page, data={"csrf": await csrf_of(client, page), "do": "agencies"}, allow_redirects=False)
    assert everyone.status == 303 and (await users_of(client).named("reza")).agencies is None  # type: ignore[union-attr]


async def test_a_request_is_assigned_only_to_colleagues_who_see_its_agency(client: Any) -> None:
    gateway = client.app[GATEWAY]
    a, b, _ = await seed_two_agencies(client)
    await make_user(client, "boss", "admin")
    for name, agency in (("ali", a.agency), ("bahar", b.agency)):
        await make_user(client, name, "operator")
        await users_of(client).change(name, actor="cli:test", agencies=[agency])
    assert (await sign_in(client, "boss")).status == 303
    page = f"/console/requests/{a.codes[0]}"
    shown = await (await client.get(page)).text()
    ids = {user.name: user.id for user in await users_of(client).list()}
    assert f'<option value="{ids["ali"]}">ali</option>' in shown and f'<option value="{ids["boss"]}">boss</option>' in shown
    assert ">bahar</option>" not in shown  # scoped to the other agency: she could not open the request
    refused = await client.post(f"{page}/assign", data={"csrf": await csrf_of(client, page), "assignee": str(ids["bahar"])},
                                allow_redirects=False)
    assert refused.status == 400 and not await gateway.db.fetchall("SELECT 1 FROM request_assignments")
    given = await client.post(f"{page}/assign", data={"csrf": await csrf_of(client, page), "assignee": str(ids["ali"])},
                              allow_redirects=False)
    assert given.status == 303 and len(await gateway.db.fetchall("SELECT 1 FROM request_assignments")) == 1
