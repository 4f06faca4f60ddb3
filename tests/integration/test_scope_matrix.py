"""The scope matrix: every operator API route, taken from the API's own route table (so a route added later is in
it without anyone listing it), called by a token scoped to agency A, one scoped to agency B and an unscoped one,
on data seeded in both agencies: requests, payments, outbox rows, complaints, feedback, analytics rows, a poll
and audit entries.

No cross-agency read: no answer to A's token holds any of B's tracking codes, complaint codes, phone numbers or
service ids, nor B's row ids in a list, and each of B's single things is 404 to it (never 403). No cross-agency
write: each write on B's things is refused and B's rows are unchanged afterwards. The same calls on A's own things
are not refused, and the unscoped token sees both agencies (so every assertion here could fail). One gateway for
the whole module: every case runs against the one seeded store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from waiting import eventually

from gateway.api.common import AGENCY, ROUTE, SCOPE_RULES, Route
from gateway.api.mount import PREFIX
from gateway.app import GATEWAY
from gateway.catalogue import Service
from gateway.feedback.store import SurveyStore
from gateway.runtime import Gateway
from gateway.tokens import TokenStore

OPEN_ROUTES = {"/openapi.json"}
"""Routes with no token at all: the document describes routes, it holds nothing of any agency."""
PHONES = ("+989121110001", "+989352220002")


@dataclass
class Seeded:
    """One agency's things, as the matrix names them."""

    agency: str
    service: Service
    phone: str
    codes: list[str] = field(default_factory=list)
    complaint: str = ""
    payment_id: int = 0
    outbox_id: int = 0
    poll_id: int = 0
    subscription_id: int = 0
    services: frozenset[str] = frozenset()
    ids: dict[str, set[int]] = field(default_factory=dict)
    """Per route family (`payments`, `outbox`, `consultations`, `feedback`): the ids of this agency's rows in its lists."""

    def strings(self) -> set[str]:
        """What identifies this agency's things in an answer's text."""
        return {*self.codes, self.complaint, self.phone, *self.services}


PATH_VALUES: dict[tuple[str, str], Callable[[Seeded], object]] = {
    ("requests", "code"): lambda s: s.codes[0],
    ("payments", "id"): lambda s: s.payment_id,
    ("outbox", "id"): lambda s: s.outbox_id,
    ("services", "id"): lambda s: s.service.id,
    ("complaints", "code"): lambda s: s.complaint,
    ("consultations", "id"): lambda s: s.poll_id,
    ("agencies", "agency"): lambda s: s.agency,
    ("agencies", "id"): lambda s: s.subscription_id,
    ("flows", "version"): lambda s: 1,
}
"""How to name one agency's thing in a route's path, by the path's first segment and the parameter. A route with
a parameter missing here fails `test_every_route_declares_its_scope`: add how to name an agency's thing for it."""
QUERY_VALUES: dict[str, Callable[[Seeded], str]] = {"service_id": lambda s: s.service.id, "request": lambda s: s.codes[0]}
"""Query filters that name one agency's thing: a list asked about another agency's must come back empty."""


def _card(target: Seeded, **changes: Any) -> dict[str, Any]:
    return {**{k: v for k, v in target.service.to_dict().items() if k != "id"}, **changes}


BODIES: dict[tuple[str, str], Callable[[Seeded], Any]] = {
    ("POST", "/requests/{code}/transition"): lambda t: {"to": "in_review"},
    ("POST", "/complaints/{code}/transition"): lambda t: {"to": "in_review"},
    ("POST", "/requests/transitions"): lambda t: {"tracking_codes": t.codes, "to": "in_review"},
    ("PATCH", "/services/{id}"): lambda t: {"fee": t.service.fee + 1000},
    ("PUT", "/services/{id}"): lambda t: _card(t, fee=t.service.fee + 2000),
    ("POST", "/services"): lambda t: _card(t, id=f"{t.service.id[:6]}9{t.service.id[7:]}"),
    ("POST", "/agencies/{agency}/subscriptions"): lambda t: {"url": f"https://{t.agency}.example/events", "types": ["request.submitted"]},
    ("PATCH", "/agencies/{agency}/subscriptions/{id}"): lambda t: {"state": "disabled"},
    ("POST", "/events/replay"): lambda t: {"agency": t.agency, "since": "2020-01-01"},
    ("POST", "/consultations"): lambda t: {
        "question": {"fa": "راضی هستید؟", "en": "Satisfied?"}, "options": [{"fa": "بله", "en": "Yes"}, {"fa": "نه", "en": "No"}],
        "closes_at": "2099-01-01T00:00:00+03:30", "audience_service": t.service.id},
}
"""The body a write on agency `t`'s things sends, by method and route: valid, so that what refuses it is the scope (a
route of AGENCY rule taking a body and missing here fails `test_every_route_declares_its_scope`)."""


def body_of(method: str, path: str, target: Seeded) -> Any:
    """The body a write on `target`'s thing sends (None: the route takes none, or is national and refused before reading it)."""
    make = BODIES.get((method, path))
    return make(target) if make else None


def api_routes(app: web.Application) -> list[tuple[str, str, Any]]:
    """(method, path relative to the API, handler) for every route of the mounted API."""
    [api] = [r.get_info()["app"] for r in app.router.resources() if r.get_info().get("prefix") == PREFIX]
    found = []
    for route in api.router.routes():
        if route.method == "HEAD":
            continue
        assert route.resource is not None
        found.append((route.method, route.resource.canonical.removeprefix(PREFIX), route.handler))
    return found


def _family(path: str) -> str:
    return path.strip("/").split("/")[0]


def _params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _url(path: str, target: Seeded) -> str:
    for name in _params(path):
        value = PATH_VALUES[(_family(path), name)](target)
        path = path.replace("{" + name + "}", str(value))
    return PREFIX + path


def _national_code(n: int) -> str:
    """A valid national code (its check digit right), a different one for each `n`."""
    body = f"{49937089 + n:09d}"
    rest = sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
    return body + str(rest if rest < 2 else 11 - rest)


def _sent(method: str, path: str, target: Seeded) -> set[str]:
    """What a call on `target`'s thing names itself (in its path or body): an answer may say it back ("no request has
    tracking code …"), which tells the caller nothing it did not know."""
    body = body_of(method, path, target) or {}
    values = [item for v in body.values() for item in (v if isinstance(v, list) else [v])]
    return {str(PATH_VALUES[(_family(path), name)](target)) for name in _params(path)} | {v for v in values if isinstance(v, str)}


def _input_value(validator: Any, n: int) -> str:
    """A valid answer to an input, a different one for each `n` (so a second request is not a repeat of the first)."""
    kind = validator if isinstance(validator, str) else validator["type"]
    if kind == "national_code":
        return _national_code(n)
    if kind == "date":
        return f"1375/06/{21 + n}"
    if kind == "mobile":
        return f"0912123456{n}"
    if kind == "choice":
        return str(validator["options"][n % len(validator["options"])])
    if kind == "integer":
        return str(validator.get("min", 1) + n)
    return f"test {n}"


async def _seed(client: Any, gateway: Gateway, agency: str, phone: str, national: dict[str, str]) -> Seeded:
    """Two requests (one delivered and rated), a complaint, a dead outbox row, a poll, an analytics row and audit
    entries for `agency`, made as citizens and a national operator make them."""
    service = next(s for s in gateway.catalogue.services
                   if s.agency == agency and s.active and s.fee and s.inputs and s.offered_on("ussd"))
    seeded = Seeded(agency, service, phone, services=frozenset(s.id for s in gateway.catalogue.services if s.agency == agency))
    for n in range(2):
        record = await gateway.requests.submit(service.id, {i.name: _input_value(i.validator, n) for i in service.inputs},
                                               channel="ussd", address=f"tel:{phone}", phone=phone, lang="fa")
        seeded.codes.append(record.tracking_code)
    delivered = seeded.codes[1]
    for to in ("in_review", "approved", "delivered"):
        answer = await client.post(f"{PREFIX}/requests/{delivered}/transition", json={"to": to}, headers=national)
        assert answer.status == 200, await answer.text()
    surveys = await gateway.db.fetchall("SELECT id FROM feedback_surveys WHERE service_id = ?", (service.id,))
    assert surveys, "the delivered request was asked its satisfaction survey"
    assert await SurveyStore(gateway.db).answer(surveys[0]["id"], 4, f"fine {agency}", gateway.requests.clock())
    complaint = await gateway.complaints.file("complaint", f"slow {agency}", request_code=seeded.codes[0], channel="ussd",
                                              address=f"tel:{phone}", phone=phone, lang="fa")
    seeded.complaint = complaint.code
    payments = await gateway.db.fetchall("SELECT p.id FROM payments p JOIN requests r ON r.id = p.request_id WHERE r.service_id = ?",
                                         (service.id,))
    seeded.payment_id = payments[0]["id"]
    outbox = await gateway.db.fetchall("SELECT id FROM outbox WHERE service_id = ? ORDER BY id", (service.id,))
    seeded.outbox_id = outbox[0]["id"]
    await gateway.db.execute("UPDATE outbox SET state = 'dead', last_error = 'seeded' WHERE id = ?", (seeded.outbox_id,))
    poll = await client.post(f"{PREFIX}/consultations", json=body_of("POST", "/consultations", seeded), headers=national)
    assert poll.status == 201, await poll.text()
    seeded.poll_id = (await poll.json())["id"]
    today = gateway.requests.calendar.today().isoformat()
    await gateway.db.execute("INSERT INTO analytics_services (day, channel, service_id, started, submitted, submit_seconds)"
                             " VALUES (?, 'ussd', ?, 3, 2, 80)", (today, service.id))
    # Last, so no event of the seed is sent anywhere (its host does not exist): the outbox settles.
    made = await client.post(f"{PREFIX}/agencies/{agency}/subscriptions", headers=national,
                             json=body_of("POST", "/agencies/{agency}/subscriptions", seeded))
    assert made.status == 201, await made.text()
    seeded.subscription_id = (await made.json())["id"]
    seeded.ids = {"payments": {r["id"] for r in payments}, "outbox": {r["id"] for r in outbox},
                  "consultations": {seeded.poll_id}, "feedback": {r["id"] for r in surveys}}
    return seeded


async def rows_of(gateway: Gateway, seeded: Seeded) -> dict[str, Any]:
    """Everything of `seeded`'s agency a write could change."""
    marks = ", ".join("?" * len(seeded.services))
    ids = tuple(sorted(seeded.services))
    tables = {
        "requests": f"SELECT tracking_code, status, updated_at FROM requests WHERE service_id IN ({marks}) ORDER BY id",
        "payments": f"SELECT p.id, p.state, p.updated_at FROM payments p JOIN requests r ON r.id = p.request_id"
                    f" WHERE r.service_id IN ({marks}) ORDER BY p.id",
        "outbox": f"SELECT id, state, attempts, next_attempt_at FROM outbox WHERE service_id IN ({marks}) ORDER BY id",
        "complaints": f"SELECT code, status, updated_at FROM complaints WHERE service_id IN ({marks}) ORDER BY id",
        "consultations": f"SELECT id, closes_at, closed_by FROM consultations WHERE audience_service IN ({marks}) ORDER BY id",
    }
    rows: dict[str, Any] = {name: await gateway.db.fetchall(sql, ids) for name, sql in tables.items()}
    rows["event_subscriptions"] = await gateway.db.fetchall("SELECT * FROM event_subscriptions WHERE agency = ? ORDER BY id", (seeded.agency,))
    rows["cards"] = sorted(json.dumps(s.to_dict(), sort_keys=True) for s in gateway.catalogue.services if s.agency == seeded.agency)
    return rows


async def seed_two_agencies(client: Any) -> tuple[Seeded, Seeded, dict[str, str]]:
    """Two agencies of the shipped catalogue with a paid USSD service each, seeded; and a national admin token's header."""
    gateway = client.app[GATEWAY]
    agencies = [a.id for a in gateway.catalogue.agencies
                if any(s.agency == a.id and s.active and s.fee and s.inputs and s.offered_on("ussd") for s in gateway.catalogue.services)]
    assert len(agencies) >= 2, "the shipped catalogue has two agencies with a paid USSD service"
    national = {"Authorization": f"Bearer {await TokenStore(gateway.db).create('admin', 'national', actor='cli:test')}"}
    a, b = [await _seed(client, gateway, agency, phone, national) for agency, phone in zip(agencies[:2], PHONES, strict=True)]
    return a, b, national


async def outbox_settled(gateway: Gateway) -> None:
    """Wait until the dispatcher has sent what was queued, so only a write could change an outbox row."""
    async def settled() -> bool:
        return not await gateway.db.fetchall("SELECT id FROM outbox WHERE state IN ('pending', 'sending')")
    await eventually(settled, what="the outbox sent the seeded messages")


def _leaks(text: str, other: Seeded, family: str, sent: set[str]) -> list[str]:
    """What of `other`'s an answer shows: its identifying strings (those the caller sent itself aside) and its row ids."""
    found = sorted(s for s in other.strings() - sent if s in text)
    try:
        body = json.loads(text)
    except ValueError:
        return found
    items = body.get("items", []) if isinstance(body, dict) else []
    shown = {item.get("id", item.get("survey_id")) for item in items if isinstance(item, dict)}
    return found + sorted(f"{family} id {i}" for i in shown & other.ids.get(family, set()))


def _count(text: str) -> int:
    """A list answer's total (its number of items where it has no `total`: a summary)."""
    body = json.loads(text)
    return int(body.get("total", len(body["items"])))


def _query_names(rule: Route) -> set[str]:
    """The route's query parameters that name one agency's thing (QUERY_VALUES)."""
    return {p.name for p in rule.query if not callable(p)} & set(QUERY_VALUES)


COUNTED = {"requests", "payments", "complaints", "feedback", "consultations"}
"""Lists whose rows are all one agency's in the seed (the audit trail also has the national tokens' entries)."""
NOTHING_TO_NAME = {"categories", "events"}
"""Lists that hold nothing of any one agency to look for: the categories (titles and counts), and the delivery log (the
seed sends no event: its subscriptions' hosts do not exist; gateway/events' own tests fill it, per agency)."""


async def test_scoped_tokens_never_read_or_change_another_agencys_things(client: Any) -> None:
    gateway = client.app[GATEWAY]
    store = TokenStore(gateway.db)
    a, b, national = await seed_two_agencies(client)
    scoped = {s.agency: {"Authorization": f"Bearer {await store.create('admin', s.agency, actor='cli:test', agencies=[s.agency])}"}
              for s in (a, b)}
    routes = [(method, path, getattr(handler, ROUTE)) for method, path, handler in api_routes(client.app) if path not in OPEN_ROUTES]
    problems: list[str] = []
    totals: dict[str, dict[str, int]] = {}

    async def call(method: str, path: str, target: Seeded, headers: dict[str, str],
                   query: dict[str, str] | None = None) -> tuple[int, str]:
        answer = await client.request(method, _url(path, target), headers=headers, params=query,
                                      json=body_of(method, path, target))
        return answer.status, await answer.text()

    def expect(who: str, status: int, allowed: set[int], text: str) -> None:
        if status not in allowed:
            problems.append(f"{who}: {status}, not {sorted(allowed)}: {text[:300]}")

    # Reads first, while nothing has moved: another agency's things, one's own, and the national operator's view.
    for caller, other in ((a, b), (b, a)):
        for method, path, rule in routes:
            if method != "GET":
                continue
            family, single = _family(path), bool(_params(path))
            status, text = await call(method, path, other, scoped[caller.agency])
            expect(f"{caller.agency} GET {path} on {other.agency}'s", status,
                   {403} if rule.scope != AGENCY else {404} if single else {200}, text)
            problems += [f"{caller.agency} GET {path} showed {other.agency}'s {leak}"
                         for leak in _leaks(text, other, family, _sent(method, path, other))]
            for name in _query_names(rule):
                value = QUERY_VALUES[name](other)
                status, text = await call(method, path, other, scoped[caller.agency], {name: value})
                problems += [f"{caller.agency} GET {path}?{name}=<{other.agency}'s> showed {leak}"
                             for leak in _leaks(text, other, family, {value})]
            if rule.scope != AGENCY:
                continue
            status, text = await call(method, path, caller, scoped[caller.agency])
            expect(f"{caller.agency} GET {path} on its own", status, {200}, text)
            if family in COUNTED and not single:
                totals.setdefault(path, {})[caller.agency] = _count(text)
            if not single and family not in NOTHING_TO_NAME and not _leaks(text, caller, family, set()):
                problems.append(f"{caller.agency} GET {path} shows none of its own things: {text[:300]}")
            status, text = await call(method, path, other, national)
            expect(f"national GET {path} on {other.agency}'s", status, {200}, text)
            if family in COUNTED and not single:
                totals.setdefault(path, {})["national"] = _count(text)
            if not single and family not in NOTHING_TO_NAME and not _leaks(text, other, family, set()):
                problems.append(f"national GET {path} shows none of {other.agency}'s things: {text[:300]}")

    # Totals are counted on what each scope sees: the two agencies' add up to the national one (only they have data).
    problems += [f"GET {path} totals: {counted}" for path, counted in totals.items()
                 if counted[a.agency] + counted[b.agency] != counted["national"] or not counted[a.agency]]

    # Writes on the other agency's things: refused (404 for a thing named in the path; a bulk write answers 200 with each
    # thing refused), nothing of it moved.
    await outbox_settled(gateway)
    before = await rows_of(gateway, b)
    for method, path, rule in routes:
        if method == "GET":
            continue
        status, text = await call(method, path, b, scoped[a.agency])
        expect(f"{a.agency} {method} {path} on {b.agency}'s", status,
               {404} if rule.scope == AGENCY and _params(path) else {403} if rule.scope != AGENCY else {200, 403, 404, 422}, text)
        problems += [f"{a.agency} {method} {path} answered {b.agency}'s {leak}"
                     for leak in _leaks(text, b, _family(path), _sent(method, path, b))]
    answer = await client.patch(_url("/services/{id}", a), json={"agency": b.agency}, headers=scoped[a.agency])
    expect(f"{a.agency} moving its own card to {b.agency}", answer.status, {403}, await answer.text())
    after = await rows_of(gateway, b)
    problems += [f"{b.agency}'s {table} changed: {before[table]} -> {after[table]}" for table in before if before[table] != after[table]]

    # The same writes on one's own things are not refused by the scope (removals last, so the others find their thing).
    for method, path, rule in sorted(routes, key=lambda route: route[0] == "DELETE"):
        if method != "GET" and rule.scope == AGENCY:
            status, text = await call(method, path, a, scoped[a.agency])
            if status in (403, 404):
                problems.append(f"{a.agency} {method} {path} on its own: {status}: {text[:300]}")
    assert not problems, "\n".join(problems)


async def test_every_route_declares_its_scope(client: Any) -> None:
    """A route without an explicit rule, or with a path parameter the matrix cannot name, fails here."""
    problems = []
    for method, path, handler in api_routes(client.app):
        if path in OPEN_ROUTES:
            continue
        rule = getattr(handler, ROUTE, None)
        if rule is None or rule.scope not in SCOPE_RULES:
            problems.append(f"{method} {path}: no scope rule (requires(..., scope=AGENCY or NATIONAL))")
        problems += [f"{method} {path}: add how to name an agency's {name} to PATH_VALUES"
                     for name in _params(path) if (_family(path), name) not in PATH_VALUES]
        if rule is not None and rule.scope == AGENCY and rule.body is not None and (method, path) not in BODIES:
            problems.append(f"{method} {path}: add to BODIES a valid body naming an agency's things (else the matrix sends none)")
    assert not problems, "\n".join(problems)
