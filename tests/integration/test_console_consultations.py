"""The console's consultations pages as staff use them: an operator opens a poll with the form (a bad
one comes back naming the field, with what was typed), sees its results per option and channel as a
bar table, and closes it; a viewer reads but cannot open or close; both changes audited under the
user's name."""

from __future__ import annotations

import html
import re

from console_pages import make_user, post_form, sign_in

from gateway.app import GATEWAY
from gateway.audit import AuditLog

FORM = {"question_fa": "ساعت کار دفاتر تا ۲۰ باشد؟", "question_en": "Open offices until 20:00?",
        "option1_fa": "بله", "option1_en": "Yes", "option2_fa": "خیر", "option2_en": "No",
        "opens_at": "", "closes_at": "2099-01-01T08:00", "audience_service": ""}


def cells(page: str, row: str) -> list[str]:
    """The figures of a results row (per channel, then the total)."""
    found = re.search(f'<th scope="row">{re.escape(row)}</th>(.*?)</tr>', page, re.S)
    assert found, row
    return re.findall(r"<td>([0-9]+)</td>", found.group(1))


async def text_of(client, path: str) -> str:  # type: ignore[no-untyped-def]
    answer = await client.get(path)
    assert answer.status == 200, (path, answer.status)
    return html.unescape(await answer.text())


async def test_an_operator_opens_a_poll_reads_its_results_by_channel_and_closes_it(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    await make_user(client, "omid", "operator", language="en")
    assert (await sign_in(client, "omid")).status == 303
    assert "No consultations yet." in await text_of(client, "/console/consultations")

    refused = await post_form(client, "/console/consultations", {**FORM, "option2_fa": "", "option2_en": ""}, page="/console/consultations/new")
    shown = html.unescape(await refused.text())
    assert refused.status == 422 and "options: 1 options; a poll has 2 to 9" in shown
    assert 'value="Open offices until 20:00?"' not in shown and ">Open offices until 20:00?</textarea>" in shown  # what was typed stays
    too_long = await post_form(client, "/console/consultations", {**FORM, "question_fa": "پرسش " * 20}, page="/console/consultations/new")
    assert too_long.status == 422 and "question: the fa screen" in html.unescape(await too_long.text())

    opened = await post_form(client, "/console/consultations", FORM, page="/console/consultations/new")
    assert opened.status == 303
    page = await text_of(client, opened.headers["Location"])
    assert "The consultation is open." in page and "Open offices until 20:00?" in page and "Everyone" in page

    [poll] = (await gateway.polls.page(10, 0))[0]
    for phone, option, channel in (("+989120000001", 1, "ussd"), ("+989120000002", 1, "sms"), ("+989120000003", 2, "telegram")):
        assert (await gateway.polls.answer(poll.id, option, phone=phone, channel=channel, lang="en")).outcome.value == "counted"
    page = await text_of(client, f"/console/consultations/{poll.id}")
    assert 'aria-label="Yes: 2 answers"' in page and 'aria-label="No: 1 answers"' in page
    assert '<rect x="0" y="0" width="200" height="12"/>' in page and '<rect x="0" y="0" width="100" height="12"/>' in page
    assert "<th>USSD</th><th>SMS</th><th>Bot</th>" in page
    assert cells(page, "1. <bdi>Yes</bdi>") == ["1", "1", "0", "2"]  # by USSD, SMS, bot; in all
    assert cells(page, "2. <bdi>No</bdi>") == ["0", "0", "1", "1"]

    closed = await post_form(client, f"/console/consultations/{poll.id}/close", {}, page=f"/console/consultations/{poll.id}")
    assert closed.status == 303
    page = await text_of(client, closed.headers["Location"])
    assert "The consultation is closed; its answers stay." in page and "Close it now" not in page and "console:omid" in page
    entries, _ = await AuditLog(gateway.db).list(actor="console:omid", limit=10)
    assert [(e.action, e.subject) for e in reversed(entries) if e.action.startswith("consultation.")] == [
        ("consultation.opened", f"consultation {poll.id}"), ("consultation.closed", f"consultation {poll.id}")]

    # A viewer (in Persian) reads the list and the results, and may neither open nor close.
    assert (await post_form(client, "/console/logout", {})).status == 303
    await make_user(client, "vida", "viewer", language="fa")
    assert (await sign_in(client, "vida")).status == 303
    listing = await text_of(client, "/console/consultations")
    assert "ساعت کار دفاتر تا ۲۰ باشد؟" in listing and "بسته" in listing and "نظرسنجی تازه" not in listing
    assert (await client.get("/console/consultations/new")).status == 403
    assert (await post_form(client, f"/console/consultations/{poll.id}/close", {}, page="/console/consultations")).status == 403
    assert (await client.get("/console/consultations/999")).status == 404
