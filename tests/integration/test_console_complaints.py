"""Complaints in the console as staff meet them over HTTP: the queue late first and filtered, a bad filter
named; a complaint's page masked for viewers, and answered by an operator (a missing answer re-shows the
form with what was typed; the answer goes to the citizen's outbox and the audit trail)."""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

import pytest
from api_tokens import role_headers
from clock import ManualClock
from console_pages import make_user, post_form, sign_in

from gateway.app import GATEWAY, create_app
from gateway.audit import AuditLog
from gateway.complaints.store import ComplaintRecord
from gateway.settings import Settings

DAY = 86_400
FIRST_ISSUE = "121095100"
PHONE = "+989121110001"
_ROW = re.compile(r'href="/console/complaints/([0-9]+)"')


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(time.time() - 60 * DAY)


@pytest.fixture
async def console(aiohttp_client, settings: Settings, clock: ManualClock):  # type: ignore[no-untyped-def]
    return await aiohttp_client(await create_app(settings, clock=clock))


async def file(console: Any, text: str, *, kind: str = "complaint", channel: str = "sms") -> ComplaintRecord:
    """A complaint filed through the service, as the `file_complaint` action files it."""
    return await console.app[GATEWAY].complaints.file(kind, text, service_id=FIRST_ISSUE, channel=channel, address=f"tel:{PHONE}",
                                                      phone=PHONE, lang="en")


async def page_of(console: Any, path: str, status: int = 200) -> str:
    response = await console.get(path)
    text = html.unescape(await response.text())
    assert response.status == status, (path, response.status, text[:2000])
    return text


async def staff(console: Any, name: str, role: str, language: str = "en") -> None:
    await make_user(console, name, role, language=language)
    assert (await sign_in(console, name)).status == 303


async def test_the_queue_shows_the_late_first_and_a_viewer_sees_the_phone_masked(console, clock: ManualClock) -> None:
    late = await file(console, "Nobody answers the phone at the office, call me on 09121234567")
    clock.advance(40 * DAY)
    fresh = await file(console, "Please add evening hours", kind="suggestion", channel="telegram")
    await staff(console, "sara", "viewer")

    queue = await page_of(console, "/console/complaints")
    assert _ROW.findall(queue) == [late.code, fresh.code] and "2 complaints and suggestions" in queue and "late by " in queue
    assert _ROW.findall(await page_of(console, "/console/complaints?kind=suggestion&channel=telegram")) == [fresh.code]
    assert _ROW.findall(await page_of(console, "/console/complaints?late=1")) == [late.code]
    assert "status: unknown value lost" in await page_of(console, "/console/complaints?status=lost", 400)
    assert "color: not a filter of this page" in await page_of(console, "/console/complaints?color=red", 400)

    one = await page_of(console, f"/console/complaints/{late.code}")
    assert "Nobody answers the phone" in one and "+98912****001" in one and PHONE not in one and 'name="answer"' not in one
    assert "call me on ********567" in one and "09121234567" not in one   # a number typed into the text is masked too
    viewer = (await role_headers(console.app[GATEWAY].db))["viewer"]
    read = await (await console.get(f"/api/v1/complaints/{late.code}", headers=viewer)).json()
    assert read["text"] == "Nobody answers the phone at the office, call me on ********567"
    await page_of(console, "/console/complaints/12345", 404)


async def test_an_operator_answers_and_the_citizen_is_sent_the_answer(console) -> None:
    complaint = await file(console, "The card was posted to the wrong city")
    await staff(console, "omid", "operator", language="fa")
    path = f"/console/complaints/{complaint.code}"
    page = await page_of(console, path)
    assert PHONE in page and "پاسخ (برای شهروند فرستاده می‌شود)" in page

    refused = await post_form(console, f"{path}/transition", {"to": "answered", "answer": "", "seen": "filed"}, page=path)
    shown = html.unescape(await refused.text())
    assert refused.status == 400 and "نوشتن پاسخ لازم است" in shown

    answer = "It is being sent again to your address; you need do nothing."
    done = await post_form(console, f"{path}/transition", {"to": "answered", "answer": answer, "seen": "filed"}, page=path)
    assert done.status == 303 and done.headers["Location"] == path
    after = await page_of(console, path)
    assert "پاسخ داده شد" in after and answer in after and "console:omid" in after
    rows = await console.app[GATEWAY].db.fetchall("SELECT * FROM outbox WHERE kind = 'notification'")
    assert [(r["channel"], r["address"], r["text"], json.loads(r["meta"])["complaint"]) for r in rows] == [
        ("sms", f"tel:{PHONE}", f"Pishkhan: complaint {complaint.code} answered. Answer: {answer}", complaint.code)]
    entries, _ = await AuditLog(console.app[GATEWAY].db).list(actor="console:omid", limit=5)
    assert [(e.action, e.subject, e.detail["answer"]) for e in entries if e.action.startswith("complaint.")] == [
        ("complaint.transitioned", complaint.code, answer)]

    stale = await post_form(console, f"{path}/transition", {"to": "rejected", "answer": "late click", "seen": "filed"}, page=path)
    assert stale.status == 409 and "اکنون «پاسخ داده شد» است" in html.unescape(await stale.text())
