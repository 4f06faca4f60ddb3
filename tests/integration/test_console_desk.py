"""The requests desk as staff meet it over HTTP: the queue filtered, most overdue first and paged,
searched by tracking code, phone number or national code however typed; a request's page masked for
viewers and whole for operators; status changes that tell the citizen (the outbox row), internal
notes that never reach the citizen, assignment, and every action in the audit trail by name."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest
from clock import ManualClock
from console_pages import csrf_of, make_user, post_form, sign_in
from ussd_citizen import PHONE, apply_by_ussd

from flows.normalise import to_persian_digits
from gateway.app import GATEWAY, create_app
from gateway.audit import AuditLog
from gateway.requests.store import RequestRecord
from gateway.runtime import Gateway
from gateway.settings import Settings

DAY = 86_400
BIRTH = "121096100"
"""Register a birth: due one working day after, free, and its child's name is a personal input."""
PAGE_SIZE = 5
_ROW_CODE = re.compile(r'href="/console/requests/([0-9]+)"')


def national_code(serial: int) -> str:
    """A valid national code (its check digit right) for each serial."""
    digits = f"{100_000_000 + serial:09d}"
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
    return digits + str(remainder if remainder < 2 else 11 - remainder)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(time.time() - 60 * DAY)


@pytest.fixture
async def console(aiohttp_client, settings: Settings, clock: ManualClock):  # type: ignore[no-untyped-def]
    """The gateway on a clock the test moves (starting 60 days ago), with small queue pages."""
    return await aiohttp_client(await create_app(settings.updated({"console": {"page_size": PAGE_SIZE}}), clock=clock))


def gateway_of(console: Any) -> Gateway:
    return console.app[GATEWAY]


async def birth(console: Any, serial: int, *, channel: str = "ussd", child: str = "Sara") -> RequestRecord:
    """A request made through the request service (as a channel makes it), by its own citizen."""
    phone = f"+98912{serial:07d}"
    address = f"tel:{phone}" if channel != "telegram" else f"telegram:main:{serial}"
    inputs = {"national_code": national_code(serial), "birth_date": "1375/06/21", "child_name": child}
    return await gateway_of(console).requests.submit(BIRTH, inputs, channel=channel, address=address,
                                                     phone=phone if channel != "telegram" else None, lang="en")


async def page_of(console: Any, path: str, status: int = 200) -> str:
    response = await console.get(path)
    text = await response.text()
    assert response.status == status, (path, response.status, text[:2000])
    return html.unescape(text)


def codes_on(page: str) -> list[str]:
    return _ROW_CODE.findall(page)


async def staff(console: Any, name: str, role: str) -> None:
    """An English-speaking account, signed in on this client."""
    await make_user(console, name, role, language="en")
    assert (await sign_in(console, name)).status == 303


async def audit_of(console: Any, name: str) -> list[tuple[str, str, dict[str, Any]]]:
    entries, _ = await AuditLog(gateway_of(console).db).list(actor=f"console:{name}", limit=100)
    return [(e.action, e.subject, e.detail) for e in reversed(entries) if e.action.startswith("request.")]


async def test_the_queue_shows_the_most_overdue_first_then_the_oldest(console, clock: ManualClock) -> None:
    requests = gateway_of(console).requests
    oldest = await birth(console, 1)
    clock.advance(10 * DAY)
    later = await birth(console, 2)
    clock.advance(5 * DAY)
    answered = await birth(console, 3)
    await requests.transition(answered.tracking_code, "in_review", actor="test", reason=None)
    await requests.transition(answered.tracking_code, "approved", actor="test", reason=None)
    clock.advance(5 * DAY)
    latest_late = await birth(console, 4, channel="telegram")
    clock.advance(40 * DAY)  # today
    fresh = await birth(console, 5)
    await staff(console, "sara", "viewer")

    page = await page_of(console, "/console/requests")
    assert codes_on(page) == [oldest.tracking_code, later.tracking_code, latest_late.tracking_code, answered.tracking_code, fresh.tracking_code]
    today = requests.calendar.date_of(clock())
    assert f"late by {(today - oldest.due_date).days} days" in page and "5 requests" in page and "Page 1 of 1" in page
    assert page.count("late by ") == 3 and "approved" in page and "bot" in page

    late = await page_of(console, "/console/requests?late=1")
    assert codes_on(late) == [oldest.tracking_code, later.tracking_code, latest_late.tracking_code] and "3 requests" in late
    assert codes_on(await page_of(console, "/console/requests?open=1&channel=telegram")) == [latest_late.tracking_code]
    assert codes_on(await page_of(console, "/console/requests?status=approved")) == [answered.tracking_code]
    assert "0 requests" in await page_of(console, "/console/requests?service=121095100&open=1")
    assert len(codes_on(await page_of(console, f"/console/requests?service={BIRTH}&channel=ussd&open=1"))) == 3


async def test_more_requests_than_a_page_are_paged_with_the_filters_kept(console) -> None:
    made = [await birth(console, serial) for serial in range(2 * PAGE_SIZE + 2)]
    await birth(console, 99, channel="telegram")
    await staff(console, "omid", "viewer")

    seen: list[str] = []
    path: str | None = "/console/requests?channel=ussd&open=1"
    while path:
        page = await page_of(console, path)
        assert "12 requests" in page
        seen += codes_on(page)
        found = re.search(r'<a href="([^"]+)" rel="next">', page)
        path = found.group(1) if found else None
        if path:
            assert "channel=ussd" in path and "open=1" in path
    assert seen == [r.tracking_code for r in made]  # none late: oldest first, each once, over three pages
    last = await page_of(console, "/console/requests?channel=ussd&open=1&page=3")
    assert "Page 3 of 3" in last and len(codes_on(last)) == 2 and 'rel="prev"' in last and 'rel="next"' not in last
    assert codes_on(await page_of(console, "/console/requests?channel=ussd&page=9")) == []


async def test_a_search_takes_a_code_a_phone_or_a_national_code_however_typed(console) -> None:
    first, second = await birth(console, 7), await birth(console, 8)
    await staff(console, "nima", "viewer")
    code = second.tracking_code
    spaced = to_persian_digits(f"{code[:3]} {code[3:7]}-{code[7:]}")
    for typed, kind in ((code, "tracking code"), (spaced, "tracking code"), ("0912 000 0008", "phone number"),
                        ("+98-912-000-0008", "phone number"), (to_persian_digits("۰۹۱۲۰۰۰۰۰۰۸"), "phone number"),
                        (national_code(8), "national code"), (to_persian_digits(national_code(8)), "national code")):
        page = await page_of(console, f"/console/requests?q={typed}")
        assert codes_on(page) == [code] and f"Searched as a {kind}" in page, typed
    assert codes_on(await page_of(console, "/console/requests?q=09120000007&status=submitted")) == [first.tracking_code]
    assert codes_on(await page_of(console, "/console/requests?q=09120000007&status=approved")) == []


@pytest.mark.parametrize(("query", "named"), [
    ("status=lost", "status: unknown value lost"), ("service=999999999", "service: unknown value 999999999"),
    ("channel=fax", "channel: unknown value fax"), ("late=yes", "late: unknown value yes"), ("assigned=him", "assigned: unknown value him"),
    ("page=0", "page: a whole number from 1"), ("page=x", "page: a whole number from 1"), ("sort=due", "sort: not a filter of this page"),
    ("q=hello", "q: hello is not a tracking code, a phone number or a national code"),
])
async def test_a_filter_value_the_desk_does_not_know_is_a_400_naming_the_field(console, query: str, named: str) -> None:
    await birth(console, 1)
    await staff(console, "ali", "viewer")
    page = await page_of(console, f"/console/requests?{query}", status=400)
    assert named in page and codes_on(page) == []
    typed = query.split("=")[1]
    if query.startswith("q="):
        assert f'value="{typed}"' in page  # what was typed is still in the box


async def test_a_viewer_sees_personal_data_masked_and_cannot_act(console) -> None:
    record = await birth(console, 3, child="Parisa")
    await staff(console, "viewer", "viewer")
    path = f"/console/requests/{record.tracking_code}"
    page = await page_of(console, path)
    assert "+98912****003" in page and "+989120000003" not in page
    assert f"*******{national_code(3)[-3:]}" in page and national_code(3) not in page
    assert "******" in page and "Parisa" not in page  # the child's name is personal
    assert 'action="/console/requests/' not in page  # no forms for a viewer
    for action, form in (("transition", {"to": "in_review", "seen": "submitted"}), ("notes", {"note": "hello"}), ("assign", {"assignee": "1"})):
        refused = await post_form(console, f"{path}/{action}", form, page=path)
        assert refused.status == 403, action
    assert (await gateway_of(console).requests.get(record.tracking_code)).status == "submitted"  # type: ignore[union-attr]
    assert await gateway_of(console).db.fetchall("SELECT * FROM request_notes") == []

    assert (await post_form(console, "/console/logout", {})).status == 303
    await staff(console, "operator", "operator")
    whole = await page_of(console, path)
    assert "+989120000003" in whole and national_code(3) in whole and "Parisa" in whole


async def test_an_operator_approves_a_ussd_request_and_the_citizen_is_told(console, clock: ManualClock) -> None:
    code = await apply_by_ussd(console)  # the smart ID card, fee 300,000: a receipt and a payment link by SMS
    await staff(console, "maryam", "operator")
    path = f"/console/requests/{code}"
    page = await page_of(console, path)
    assert "First national ID card" in page and "pending" in page and "300,000 rials via sandbox" in page
    assert "receipt" in page and "payment_link" in page  # the messages the citizen was sent

    assert (await post_form(console, f"{path}/transition", {"to": "in_review", "seen": "submitted"}, page=path)).status == 303
    clock.advance(60)
    approved = await post_form(console, f"{path}/transition", {"to": "approved", "seen": "in_review"}, page=path)
    assert approved.status == 303 and approved.headers["Location"] == path

    [row] = await gateway_of(console).db.fetchall(
        "SELECT * FROM outbox WHERE kind = 'notification' AND meta LIKE '%approved%'")
    assert row["address"] == f"tel:{PHONE}" and row["channel"] == "sms"
    assert row["text"] == f"Pishkhan: request {code} status: approved. The result will be delivered soon."
    page = await page_of(console, path)
    assert row["text"] in page and "console:maryam" in page  # the message listed, the event by name
    assert await audit_of(console, "maryam") == [
        ("request.transitioned", code, {"from": "submitted", "to": "in_review", "reason": None}),
        ("request.transitioned", code, {"from": "in_review", "to": "approved", "reason": None}),
    ]


async def test_a_reason_is_asked_for_where_the_lifecycle_wants_one_and_a_change_meanwhile_is_shown(console) -> None:
    record = await birth(console, 4)
    requests = gateway_of(console).requests
    await requests.transition(record.tracking_code, "in_review", actor="test", reason=None)
    await staff(console, "reza", "operator")
    path = f"/console/requests/{record.tracking_code}"
    page = await page_of(console, path)
    offered = re.findall(r'<option value="([a-z_]+)"', page.split('id="to"')[1].split("</select>")[0])
    assert offered == ["needs_info", "approved", "rejected", "cancelled"] and "A reason is required for: needs information, rejected" in page

    missing = await post_form(console, f"{path}/transition", {"to": "rejected", "seen": "in_review", "reason": "  "}, page=path)
    text = html.unescape(await missing.text())
    assert missing.status == 400 and "reason: required to mark it rejected" in text
    too_long = await post_form(console, f"{path}/transition", {"to": "rejected", "seen": "in_review", "reason": "x" * 501}, page=path)
    assert too_long.status == 400 and "x" * 501 in await too_long.text()  # what was typed is kept
    assert (await requests.get(record.tracking_code)).status == "in_review"  # type: ignore[union-attr]

    asked = await post_form(console, f"{path}/transition", {"to": "needs_info", "seen": "in_review", "reason": "Photo unreadable"}, page=path)
    assert asked.status == 303
    [row] = await gateway_of(console).db.fetchall("SELECT * FROM outbox WHERE kind = 'notification' AND meta LIKE '%needs_info%'")
    assert row["address"] == "tel:+989120000004" and "Photo unreadable" in row["text"]

    stale = await csrf_of(console, path)  # the page showed needs_info; someone cancels it meanwhile
    await requests.transition(record.tracking_code, "cancelled", actor="test", reason=None)
    meanwhile = await console.post(f"{path}/transition", data={"csrf": stale, "to": "in_review", "seen": "needs_info"}, allow_redirects=False)
    text = html.unescape(await meanwhile.text())
    assert meanwhile.status == 409 and "Someone changed this request meanwhile: it is now cancelled" in text
    assert "This request is final." in text
    unknown = await post_form(console, f"{path}/transition", {"to": "lost", "seen": "cancelled"}, page=path)
    assert unknown.status == 400 and "to: a request that is cancelled cannot become lost" in html.unescape(await unknown.text())
    assert [e.to_status for e in await requests.store.events(record.id)] == ["submitted", "in_review", "needs_info", "cancelled"]


async def test_notes_stay_inside_and_are_audited(console) -> None:
    record = await birth(console, 5)
    await staff(console, "leila", "operator")
    path = f"/console/requests/{record.tracking_code}"
    db = gateway_of(console).db
    messages = len(await db.fetchall("SELECT id FROM outbox"))

    assert (await post_form(console, f"{path}/notes", {"note": "Called the citizen; they will send the photo."}, page=path)).status == 303
    page = await page_of(console, path)
    assert "Called the citizen; they will send the photo." in page and "leila ·" in page
    assert len(await db.fetchall("SELECT id FROM outbox")) == messages  # never sent

    empty = await post_form(console, f"{path}/notes", {"note": "   "}, page=path)
    assert empty.status == 400 and "note: write something" in await empty.text()
    long = await post_form(console, f"{path}/notes", {"note": "y" * 2001}, page=path)
    assert long.status == 400 and "note: at most 2,000 characters" in await long.text() and "y" * 2001 in await long.text()
    [note] = await db.fetchall("SELECT id FROM request_notes")
    assert await audit_of(console, "leila") == [("request.noted", record.tracking_code, {"note": note["id"]})]


async def test_requests_are_assigned_to_colleagues_and_the_queue_filters_by_it(console) -> None:
    mine, theirs, nobodys = await birth(console, 1), await birth(console, 2), await birth(console, 3)
    await make_user(console, "kaveh", "operator")
    await make_user(console, "vida", "viewer")
    await staff(console, "bahar", "admin")
    users = {row["name"]: row["id"] for row in await gateway_of(console).db.fetchall("SELECT id, name FROM console_users")}

    take = f"/console/requests/{mine.tracking_code}"
    page = await page_of(console, take)
    assert ">kaveh<" in page and ">bahar<" in page and ">vida<" not in page  # only those who work on requests are offered
    assert (await post_form(console, f"{take}/assign", {"assignee": str(users["bahar"])}, page=take)).status == 303
    give = f"/console/requests/{theirs.tracking_code}"
    assert (await post_form(console, f"{give}/assign", {"assignee": str(users["kaveh"])}, page=give)).status == 303
    refused = await post_form(console, f"{give}/assign", {"assignee": str(users["vida"])}, page=give)
    assert refused.status == 400 and "assignee: not a colleague who works on requests" in await refused.text()

    assert codes_on(await page_of(console, "/console/requests?assigned=me")) == [mine.tracking_code]
    assert codes_on(await page_of(console, "/console/requests?assigned=none")) == [nobodys.tracking_code]
    queue = await page_of(console, "/console/requests")
    assert ">kaveh<" in queue and ">bahar<" in queue

    assert (await post_form(console, f"{give}/assign", {"assignee": ""}, page=give)).status == 303
    assert set(codes_on(await page_of(console, "/console/requests?assigned=none"))) == {theirs.tracking_code, nobodys.tracking_code}
    assert await audit_of(console, "bahar") == [
        ("request.assigned", mine.tracking_code, {"from": None, "to": "bahar"}),
        ("request.assigned", theirs.tracking_code, {"from": None, "to": "kaveh"}),
        ("request.assigned", theirs.tracking_code, {"from": "kaveh", "to": None}),
    ]


async def test_the_desk_speaks_persian_with_jalali_dates_and_persian_digits(console) -> None:
    record = await birth(console, 6)
    await make_user(console, "parvin", "operator")
    assert (await sign_in(console, "parvin")).status == 303
    page = await page_of(console, "/console/requests")
    assert "۱ درخواست" in page and to_persian_digits(record.tracking_code) in page and "ثبت‌شده" in page
    detail = await page_of(console, f"/console/requests/{record.tracking_code}")
    assert f"درخواست {to_persian_digits(record.tracking_code)}" in detail and "در حال بررسی" in detail
