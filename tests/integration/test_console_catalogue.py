"""The catalogue in the console as staff meet it: every card listed and filtered, a card shown in both
languages; admins (only) change, add and retire cards through the same checks and publishing as the
operator API: a change is a new live content version, audited under the admin's name; a refused
change shows each problem at its field with what was typed kept; the preview draws what citizens
would get on USSD, SMS and bots, page by page, with each page's count and the ones too long flagged."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from console_pages import csrf_of, make_user, post_form, sign_in

from gateway.app import GATEWAY
from gateway.audit import AuditLog

CARD = "/console/services/121095100"


async def signed_in_as(client: Any, name: str, role: str, language: str = "en") -> None:
    await make_user(client, name, role, language=language)
    assert (await sign_in(client, name)).status == 303


def form_of(page: str) -> dict[str, Any]:
    """The fields of the card form as the page fills them (what a browser would send back)."""
    form = page[page.index('class="card card-form"'):page.index("</form>", page.index('class="card card-form"'))]
    fields: dict[str, Any] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name is None or ("checkbox" in tag and "checked" not in tag):
            continue
        fields.setdefault(name.group(1), []).append(html.unescape(value.group(1) if value else ""))
    for name, value in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        fields[name] = [html.unescape(value)]
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        fields[name] = [html.unescape(chosen.group(1)) if chosen else ""]
    return fields


def flat(fields: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in fields.items() for value in values]


async def edit_fields(client: Any, path: str = CARD) -> dict[str, Any]:
    page = await client.get(f"{path}/edit")
    assert page.status == 200
    return form_of(await page.text())


async def post_card(client: Any, path: str, fields: dict[str, Any]) -> Any:
    data = flat({**fields, "csrf": [await csrf_of(client, "/console/services")]})
    return await client.post(path, data=data, allow_redirects=False)


async def actions_on(client: Any, subject: str) -> list[tuple[str, str]]:
    entries, _ = await AuditLog(client.app[GATEWAY].db).list(limit=100)
    return [(e.action, e.actor) for e in reversed(entries) if e.subject == subject]


def field_errors(page: str, name: str) -> list[str]:
    """The problems shown under the field `name` (its error paragraphs)."""
    return [html.unescape(m) for m in re.findall(rf'<p class="field-error" id="e-{re.escape(name.replace(".", "-"))}-\d+">([^<]*)</p>', page)]


async def test_every_card_is_listed_with_fee_in_the_users_digits_and_filters_narrow_it(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "vida", "viewer", language="fa")
    page = await (await client.get("/console/services")).text()
    catalogue = client.app[GATEWAY].catalogue
    assert all(f"/console/services/{s.id}" in page for s in catalogue.services)
    assert "صدور نخستین کارت ملی" in page and "۳۰۰٬۰۰۰ ریال" in page and "رایگان" in page
    assert "خدمت تازه" not in page  # a viewer is not offered editing
    page = await (await client.get("/console/services?category=vehicles")).text()
    assert "/console/services/131020000" in page and "/console/services/121095100" not in page
    only_counter = [s.id for s in catalogue.services if s.offered_on("counter")]
    page = await (await client.get("/console/services?channel=counter")).text()
    assert only_counter and all(f"/console/services/{i}" in page for i in only_counter)
    assert len(re.findall(r'<a href="/console/services/\d{9}">', page)) == len(only_counter)
    assert (await client.get("/console/services?channel=fax")).status == 400
    assert (await client.get("/console/services?category=space")).status == 400
    page = await (await client.get(CARD)).text()
    assert "صدور نخستین کارت ملی" in page and "First national ID card" in page and "ویرایش" not in page


@pytest.mark.parametrize("role", ["viewer", "operator"])
async def test_only_admins_edit(client, role: str) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "staff", role)
    before = client.app[GATEWAY].content.number
    for path in (f"{CARD}/edit", "/console/services/new"):
        assert (await client.get(path)).status == 403
    for path in (f"{CARD}/edit", "/console/services/new", f"{CARD}/retire", "/console/services/preview"):
        answer = await post_form(client, path, {"title.en": "Mine now"}, page="/console/services")
        assert answer.status == 403, path
    assert client.app[GATEWAY].content.number == before


async def test_an_admin_changes_a_fee_and_a_title_and_it_is_live(client, tokens) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "root", "admin")
    before = client.app[GATEWAY].content.number
    old = await (await client.get("/api/v1/services/121095100", headers=tokens["viewer"])).json()
    fields = await edit_fields(client)
    assert fields["fee"] == ["300000"] and fields["title.en"] == ["First national ID card"]
    fields.update({"fee": ["۳۵۰٬۰۰۰"], "title.en": ["First ID card"], "action": ["save"]})
    answer = await post_card(client, f"{CARD}/edit", fields)
    assert answer.status == 303, await answer.text()
    version = client.app[GATEWAY].content.number
    assert version == before + 1 and answer.headers["Location"] == f"{CARD}?saved={version}"
    page = await (await client.get(answer.headers["Location"])).text()
    assert f"Saved and published: version {version}" in page and "350,000 rials" in page and "First ID card" in page
    card = await (await client.get("/api/v1/services/121095100", headers=tokens["viewer"])).json()
    assert card == {**old, "fee": 350000, "title": {**old["title"], "en": "First ID card"}}  # the rest kept as it was
    assert await actions_on(client, "121095100") == [("service.changed", "console:root")]


async def test_a_refused_edit_shows_each_problem_at_its_field_keeps_what_was_typed_and_publishes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "root", "admin")
    gateway = client.app[GATEWAY]
    before = gateway.content.number
    fields = await edit_fields(client)
    fields.update({"title.en": [""], "title.fa": ["کارت ملی تازه"], "fee": ["-5"], "channels": ["ussd", "fax"],
                   "days_to_deliver": ["4000"], "inputs.0.name": ["national code"], "documents.0.en": ["Birth certificate, new"], "action": ["save"]})
    answer = await post_card(client, f"{CARD}/edit", fields)
    page = await answer.text()
    assert answer.status == 422
    assert any("`title` has no en text" in e for e in field_errors(page, "title.en"))
    assert any("`fee` must be a whole number, 0 or more" in e for e in field_errors(page, "fee"))
    assert any("unknown channels ['fax']" in e for e in field_errors(page, "channels"))
    assert field_errors(page, "days_to_deliver") == ["At most 3,650."]  # the API's bounds too
    assert field_errors(page, "inputs.0.name") == ["Latin letters, digits and _ (up to 32), starting with a letter; e.g. national_code"]
    assert re.search(r'<input id="f-title-en" name="title.en" type="text" lang="en" dir="auto" value=""[^>]*aria-invalid="true"', page)
    kept = form_of(page)
    assert kept["title.fa"] == ["کارت ملی تازه"] and kept["fee"] == ["-5"] and kept["channels"] == ["ussd", "fax"]
    assert kept["documents.0.en"] == ["Birth certificate, new"] and kept["inputs.0.name"] == ["national code"]
    assert gateway.content.number == before and gateway.catalogue.get("121095100").fee == 300000  # type: ignore[union-attr]
    assert await actions_on(client, "121095100") == []


async def test_the_preview_draws_what_is_typed_page_by_page_and_flags_a_page_too_long(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "root", "admin")
    gateway = client.app[GATEWAY]
    before = gateway.content.number
    fields = await edit_fields(client)
    fields.update({"title.en": ["Brand new ID card"], "action": ["preview"]})
    answer = await post_card(client, f"{CARD}/edit", fields)
    page = await answer.text()
    assert answer.status == 200 and 'aria-invalid' not in page
    menu = re.search(r'<details class="preview-screen" lang="en" data-channel="ussd" data-node="menu" open>\s*<summary[^>]*>Service menu · USSD · en'
                     r' \(pages: 1\)</summary>\s*<figure class="preview-page">\s*<figcaption>page 1 of 1 ·\s*'
                     r'<span class="count">(\d+) of (\d+) characters</span>.*?<pre lang="en" dir="auto">([^<]*)</pre>', page, re.S)
    assert menu, page[page.index('id="preview"'):][:3000]
    assert menu.group(3).startswith("CON Brand new ID card\n") and int(menu.group(1)) == len(html.unescape(menu.group(3)))
    assert menu.group(2) == "182"
    assert form_of(page)["title.en"] == ["Brand new ID card"]
    too_long = {**fields, "short.fa": ["صدور" + " کارت ملی" * 12]}  # the label the parent's menu lists it by
    fragment = await post_card(client, "/console/services/preview", too_long)
    text = await fragment.text()
    assert fragment.status == 200 and "<html" not in text
    assert 'class="preview-page over"' in text and re.search(r"Menu listing the service · USSD · fa \(pages: \d+ · over the limit\)", text)
    over = re.search(r'<figure class="preview-page over">\s*<figcaption>[^<]*<span class="count">(\d+) of 80 characters', text)
    assert over and int(over.group(1)) > 80
    page = await (await post_card(client, f"{CARD}/edit", too_long)).text()  # the Preview button: the same, and the problem at its field
    assert 'class="preview-page over"' in page and any("at most 18 fit a USSD menu line" in e for e in field_errors(page, "short.fa"))
    assert gateway.content.number == before  # nothing saved
    without_token = await client.post("/console/services/preview", data=[(k, v) for k, v in flat(fields) if k != "csrf"])
    assert without_token.status == 403


async def test_an_admin_adds_a_service_and_retires_it(client, tokens) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "root", "admin")
    new = form_of(await (await client.get("/console/services/new")).text())
    new.update({"id": ["121097000"], "category": ["identity"], "agency": ["sabt"],
                "title.fa": ["گواهی تجرد"], "title.en": ["Single status certificate"],
                "fee": ["50000"], "account": ["IR820100000001130000000999"], "days_to_deliver": ["3"],
                "inputs.0.name": ["national_code"], "inputs.0.validator": ["national_code"],
                "inputs.0.prompt.fa": ["کد ملی را وارد کنید:"], "inputs.0.prompt.en": ["Enter your national code:"], "action": ["save"]})
    answer = await post_card(client, "/console/services/new", new)
    assert answer.status == 303, await answer.text()
    card = await (await client.get("/api/v1/services/121097000", headers=tokens["viewer"])).json()
    assert card["title"]["en"] == "Single status certificate" and card["fee"] == 50000 and card["active"]
    assert card["inputs"] == [{"name": "national_code", "validator": "national_code",
                               "prompt": {"fa": "کد ملی را وارد کنید:", "en": "Enter your national code:"}, "personal": True}]
    assert "/console/services/121097000" in await (await client.get("/console/services?category=identity")).text()
    again = await post_card(client, "/console/services/new", new)
    assert again.status == 422 and "This id is taken" in " ".join(field_errors(await again.text(), "id"))

    answer = await post_form(client, "/console/services/121097000/retire", {}, page="/console/services/121097000")
    assert answer.status == 303
    assert (await (await client.get("/api/v1/services/121097000", headers=tokens["viewer"])).json())["active"] is False
    page = await (await client.get("/console/services/121097000")).text()
    assert "retired" in page and "/retire" not in page
    assert await actions_on(client, "121097000") == [("service.changed", "console:root"), ("service.retired", "console:root")]


async def test_every_card_saved_unchanged_through_its_form_is_the_same_card(client) -> None:  # type: ignore[no-untyped-def]
    """The form holds every field of every card: sent back as it came, every card stays as it was. The
    first save stores the YAML's catalogue in card form (a new version, as any API edit makes); after
    it, saving an unchanged card makes no version at all."""
    await signed_in_as(client, "root", "admin")
    gateway = client.app[GATEWAY]
    cards = [s.to_dict() for s in gateway.catalogue.services]
    for card in cards:
        path = f"/console/services/{card['id']}"
        answer = await post_card(client, f"{path}/edit", {**await edit_fields(client, path), "action": ["save"]})
        assert answer.status == 303, (card["id"], await answer.text())
    assert [s.to_dict() for s in gateway.catalogue.services] == cards
    normalised = gateway.content.number
    for card in cards:
        path = f"/console/services/{card['id']}"
        assert (await post_card(client, f"{path}/edit", {**await edit_fields(client, path), "action": ["save"]})).status == 303
    assert gateway.content.number == normalised
