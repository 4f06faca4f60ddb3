"""Privacy as citizens meet it: the statement on USSD (paged), by the SMS keyword, on the public page and
linked from the pay page, its retention period filled in from the settings; a citizen's own data seen and
their finished requests' personal inputs erased over USSD (open ones kept, audited); the retention job
erasing after `privacy.retention_days` by the injected clock, keeping the anonymous facts."""

from __future__ import annotations

import json

from api_tokens import role_headers
from clock import ManualClock
from fakes.payer import local
from fakes.sms_gateway import ALI, SmsRig, start_rig
from ussd_citizen import FIRST_ID_CARD_EN, apply_by_ussd, ussd, ussd_hops
from waiting import eventually

from flows.gsm7 import fits_ussd, sms_encoding, ucs2_length
from gateway.privacy.retention import RetentionJob

DAY = 86400.0
HELP_PRIVACY_FA = ["1", "3", "3"]
"""A first dial: Persian, help, privacy."""
HELP_PRIVACY = ["3", "3"]
"""A returning citizen (their language remembered, the home menu first): help, privacy."""
READER = "+989350000001"
AGAIN_EN = [*FIRST_ID_CARD_EN[1:6], "0067749828", *FIRST_ID_CARD_EN[7:]]
"""The smart ID card again, by a returning citizen (no language menu), with another national code."""


async def _rig(aiohttp_server, aiohttp_client, settings, **privacy: object) -> tuple[SmsRig, ManualClock]:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    # No resume offer: each dial below starts afresh, as a citizen calling back later does.
    configured = settings.updated({"resume": {"window": 0}, "privacy": {"retention_days": 30, **privacy}})
    return await start_rig(aiohttp_server, aiohttp_client, configured, clock=clock), clock


async def test_the_statement_on_ussd_sms_the_public_page_and_the_pay_page(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    rig, _ = await _rig(aiohttp_server, aiohttp_client, settings)
    client = rig.client

    inputs = [*HELP_PRIVACY_FA, "1"]
    pages = await ussd_hops(client, READER, ["*".join(inputs[:hop]) for hop in range(len(inputs) + 1)], session="statement")
    statement = [pages[-1]]
    while "۹۸." in statement[-1]:  # the engine pages a long text: 98 for the next page
        inputs.append("98")
        statement += await ussd_hops(client, READER, ["*".join(inputs)], session="statement")
    assert len(statement) > 3
    for page in statement:
        assert page.startswith("CON ") and ucs2_length(page[4:]) <= 80, page
    whole = " ".join(page[4:] for page in statement)
    for heading in ("چه می‌گیریم", "چرا", "تا کی", "چه کسی می‌بیند", "چگونه بپرسید"):
        assert heading in whole
    assert "۳۰ روز" in whole and "30" not in whole  # the setting's number, in Persian digits

    fa = await rig.reply_to("حریم")
    assert "۳۰ روز" in fa and fa.endswith(f"{rig.base}/privacy") and sms_encoding(fa).segments <= 3
    await rig.reply_to("سلام")  # the SMS menus: help, privacy, what is kept about this (network-given) number
    for text in ("3", "3"):
        await rig.reply_to(text)
    assert "برای این شماره نگه داشته‌ایم: ۰ درخواست با ۰ پاسخ شخصی" in await rig.reply_to("2")
    en = await rig.reply_to("PRIVACY", sender="+989350000002")  # a number with no language remembered: the keyword's
    assert "30 days" in en and en.endswith(f"{rig.base}/privacy")

    page = await client.get("/privacy?lang=en")
    html = await page.text()
    assert page.status == 200 and "erased 30 days after it ends" in html and "<h2>Who sees it</h2>" in html
    assert "script-src" not in page.headers["Content-Security-Policy"] and "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "۳۰ روز" in await (await client.get("/privacy")).text()

    await apply_by_ussd(client)  # a fee: a payment link
    [link] = await eventually(lambda: rig.outbox(kind="payment_link"))
    pay = await (await client.get(local(json.loads(link["meta"])["url"]) + "?lang=en")).text()
    assert '<a href="/privacy?lang=en">Privacy</a>' in pay


async def test_a_citizen_sees_what_is_kept_and_erases_finished_requests_but_not_open_ones(  # type: ignore[no-untyped-def]
        aiohttp_server, aiohttp_client, settings) -> None:
    rig, _ = await _rig(aiohttp_server, aiohttp_client, settings)
    client, gateway = rig.client, rig.gateway
    finished, still_open = await apply_by_ussd(client), await apply_by_ussd(client, AGAIN_EN)
    await gateway.requests.transition(finished, "in_review", actor="cli:test", reason=None)
    await gateway.requests.transition(finished, "cancelled", actor="cli:test", reason="duplicate of 0499370899's other request")
    for status in ("in_review", "approved"):  # approved, not yet delivered: still being answered
        await gateway.requests.transition(still_open, status, actor="cli:test", reason=None)

    kept = await ussd(client, ALI, [*HELP_PRIVACY, "2"])
    assert "Kept for this number: 2 requests with 4 personal answers, 2 payments" in kept, kept
    assert "Kept for this number: 0 requests" in await ussd(client, READER, ["2", *HELP_PRIVACY, "2"])  # another number: its own

    fa_hops = ["4", "1", *HELP_PRIVACY, "3"]  # home, language: Persian, then the question, paged
    fa_pages = await ussd_hops(client, ALI, ["*".join(fa_hops[:hop]) for hop in range(len(fa_hops) + 1)], session="fa")
    question = fa_pages[-1:]
    while "۹۸." in question[-1]:
        fa_hops.append("98")
        question += await ussd_hops(client, ALI, ["*".join(fa_hops)], session="fa")
    assert all(fits_ussd(page[4:]) for page in fa_pages + question), fa_pages
    assert len(question) == 2 and question[0].startswith("CON پاسخ‌های شخصی ۱ درخواست تمام‌شده برای همیشه") and "۱. بله، پاک شود" in question[1]
    await ussd(client, ALI, ["4", "2"])  # back to English
    asked = await ussd(client, ALI, [*HELP_PRIVACY, "3"])
    assert "Erase for good the personal answers of 1 finished requests?" in asked and "1. Yes, erase" in asked
    assert (await gateway.requests.get(finished)).national_code == "0499370899"  # asking alone erases nothing
    erase = [*HELP_PRIVACY, "3", "1", "98"]  # confirmed; the answer's second page
    done = await ussd_hops(client, ALI, ["*".join(erase[:hop]) for hop in range(len(erase) + 1)], session="erase")
    assert done[-2].startswith("CON The personal answers of 1 requests are erased; code, service, dates and status stay for statistics.")
    assert done[-1].startswith("CON 1 requests are still open and kept until they end"), done[-1]

    erased = await gateway.db.fetchone("SELECT * FROM requests WHERE tracking_code = ?", (finished,))
    assert json.loads(erased["inputs"]) == {} and erased["phone"] is None and erased["national_code"] is None
    assert erased["address"] == "" and erased["erased_at"] is not None
    assert (erased["status"], erased["service_id"], erased["fee"]) == ("cancelled", "121095100", 300000)  # the statistics' facts
    reasons = [e.reason for e in await gateway.requests.store.events(erased["id"]) if e.reason]
    assert reasons == ["duplicate of *******899's other request"]
    untouched = await gateway.requests.get(still_open)
    assert untouched is not None and untouched.national_code == "0067749828" and untouched.phone == ALI
    entries, _ = await gateway.requests.audit.list(action="request.erased")
    assert [(e.actor, e.subject, e.detail) for e in entries] == [("citizen", finished, {"why": "citizen", "inputs": ["birth_date", "national_code"]})]

    again = await ussd(client, ALI, [*HELP_PRIVACY, "3"])
    assert "This number has no finished request with personal details. 1 requests are still open" in again
    fa = await ussd(client, ALI, ["4", "1", *HELP_PRIVACY, "2", "98"])  # home, language: Persian; the second page
    assert fa.startswith("CON ۱ درخواست با ۲ پاسخ شخصی، ۱ پرداخت") and ucs2_length(fa[4:]) <= 80, fa


async def test_the_retention_job_erases_after_the_setting_by_the_injected_clock(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    rig, clock = await _rig(aiohttp_server, aiohttp_client, settings)
    gateway = rig.gateway
    await gateway.db.execute(  # an agency's system that opted in to personal data: events keep a copy for its replays
        "INSERT INTO event_subscriptions (agency, url, types, personal, secret, created_by, created_at, updated_at)"
        " VALUES ('sabt', 'https://127.0.0.1:9/', '[\"request.submitted\", \"request.transitioned\", \"complaint.filed\"]', 1,"
        " 'whsec_x', 'test', 0, 0)")
    code, other = await apply_by_ussd(rig.client), await apply_by_ussd(rig.client, AGAIN_EN)
    await eventually(lambda: rig.outbox(kind="receipt", state="sent"))
    menu = await rig.reply_to("سلام", sender="+989350000003")  # an SMS conversation: its replies echo what was typed
    job = RetentionJob(gateway.privacy, clock)
    clock.advance(40 * DAY)  # submitted long ago, but finished only now: the period runs from the final status
    await gateway.requests.transition(code, "in_review", actor="cli:test", reason=None)
    await gateway.requests.transition(code, "rejected", actor="cli:test", reason="the photo is missing")  # an answer: finished
    await eventually(lambda: gateway.db.fetchone("SELECT id FROM feedback_surveys"))
    await gateway.db.execute("UPDATE feedback_surveys SET rating = 4, comment = 'fine, my code is 0499370899', answered_at = ?", (clock(),))
    answered, still_open = [await gateway.complaints.file("complaint", text, request_code=code, channel="ussd", address=f"tel:{ALI}",
                                                          phone=ALI, lang="en") for text in ("it took long", "and the fee?")]
    await gateway.complaints.transition(answered.code, "answered", actor="cli:test", answer="sorry")

    clock.advance(29 * DAY)
    assert await job.run_once() == 0
    assert (await gateway.requests.get(code)).national_code == "0499370899"
    personal = "SELECT subject, personal FROM events WHERE subject IN (?, ?, ?) ORDER BY id"
    kept = await gateway.db.fetchall(personal, (code, answered.code, still_open.code))
    assert len(kept) == 5 and all("0499370899" in e["personal"] or "it took long" in e["personal"] or "fee" in e["personal"] for e in kept)
    clock.advance(2 * DAY)
    assert await job.run_once() == 1
    assert await job.run_once() == 0  # once

    row = await gateway.db.fetchone("SELECT * FROM requests WHERE tracking_code = ?", (code,))
    assert row["national_code"] is None and row["phone"] is None and json.loads(row["inputs"]) == {}
    assert (await gateway.requests.get(other)).national_code == "0067749828"  # still open: kept however old
    survey = await gateway.db.fetchone("SELECT rating, comment, address FROM feedback_surveys")
    assert (survey["rating"], survey["comment"], survey["address"]) == (4, None, "")  # the rating counts still
    assert (await gateway.complaints.get(answered.code)).text == "[erased]"
    assert (await gateway.complaints.get(still_open.code)).text == "and the fee?"  # being answered: kept
    assert [(e["subject"], e["personal"] is None) for e in await gateway.db.fetchall(personal, (code, answered.code, still_open.code))] == [
        (code, True), (code, True), (code, True), (answered.code, True), (still_open.code, False)]
    [receipt] = [r for r in await rig.outbox(kind="receipt") if json.loads(r["meta"]).get("tracking_code") == code]
    assert receipt["text"] == "[erased]" and receipt["address"] == ""
    assert [r["text"] for r in await rig.outbox(kind="reply")] == ["[erased]"] and menu  # sent 71 days ago
    entries, _ = await gateway.requests.audit.list(action="request.erased")
    assert [(e.actor, e.detail["why"]) for e in entries] == [("privacy:retention", "retention")]
    services = await (await rig.client.get("/api/v1/requests?status=rejected", headers=(await role_headers(gateway.db))["viewer"])).json()
    assert services["total"] == 1 and services["items"][0]["service_id"] == "121095100"  # counted still, nobody named

