"""The catalogue in the console: every identity card listed and shown in both languages; admins change,
add and retire cards, with a preview of what citizens would get on each channel.

A form is turned into the same card mapping the API takes and goes through the same checks and the
same publishing (gateway.catalogue.editing): a card the API refuses, the console refuses, and a change
becomes a new content version audited under the user. Only admins edit, as in the API. Each problem
is shown next to the field it concerns, with what was typed kept. The preview draws the card from
what is typed with the channels' own renderers (gateway.content.preview), so it is what a citizen
would see; a "Preview" button shows it without JavaScript, catalogue.js refreshes it while typing.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from flows.errors import FlowError
from flows.normalise import normalise_input
from flows.validators import VALIDATOR_TYPES
from gateway.catalogue import Service
from gateway.catalogue.editing import (
    INPUT_NAME,
    MAX_ACCOUNT,
    MAX_LIST,
    MAX_TEXT,
    MAXIMA,
    InvalidCard,
    candidate,
    draft,
    draft_flows,
    publish_catalogue,
)
from gateway.catalogue.flows import FLOW_ID, money
from gateway.catalogue.model import CHANNELS, SERVICE_ID, SERVICE_TYPES
from gateway.console.i18n import Speaker, Texts, number
from gateway.console.web import PREFIX, NavItem, gateway_of, read_form, render, requires, scope_of_page, see_other, signed_in, speaker
from gateway.content.preview import CHANNELS as PREVIEW_CHANNELS
from gateway.content.preview import ChannelPreview, Previewer
from gateway.content.store import StaleVersion
from gateway.scopes import AGENCY

SOURCE = "<console>"
EDITS = web.AppKey("console_service_edits", asyncio.Lock)
"""One card change at a time from the console (a change racing the API's is refused by the version check)."""
NAV = (NavItem(f"{PREFIX}/services", "catalogue.title"),)
TEXTS: Texts = {
    "catalogue.title": {"fa": "خدمات", "en": "Services"},
    "catalogue.id": {"fa": "شناسه", "en": "ID"},
    "catalogue.name": {"fa": "عنوان", "en": "Title"},
    "catalogue.category": {"fa": "دسته", "en": "Category"},
    "catalogue.agency": {"fa": "دستگاه", "en": "Agency"},
    "catalogue.agency_of_parent": {"fa": "همان دستگاه خدمت بالادست", "en": "The parent service's agency"},
    "catalogue.other_agency": {"fa": "شما فقط خدمت‌های دستگاه‌های خود را تغییر می‌دهید", "en": "You change only your own agencies' services"},
    "catalogue.type": {"fa": "نوع", "en": "Type"},
    "catalogue.fee": {"fa": "هزینه (ریال)", "en": "Fee (rials)"},
    "catalogue.days": {"fa": "مدت (روز کاری)", "en": "Days to deliver (working days)"},
    "catalogue.channels": {"fa": "کانال‌ها", "en": "Channels"},
    "catalogue.channel": {"fa": "کانال", "en": "Channel"},
    "catalogue.any": {"fa": "همه", "en": "All"},
    "catalogue.filter": {"fa": "پالایش", "en": "Filter"},
    "catalogue.count": {"fa": "{count} خدمت", "en": "{count} services"},
    "catalogue.none": {"fa": "خدمتی با این پالایه نیست.", "en": "No service matches these filters."},
    "catalogue.retired": {"fa": "بازنشسته", "en": "retired"},
    "catalogue.new": {"fa": "خدمت تازه", "en": "New service"},
    "catalogue.edit": {"fa": "ویرایش", "en": "Edit"},
    "catalogue.edit_title": {"fa": "ویرایش خدمت {id}", "en": "Edit service {id}"},
    "catalogue.retire": {"fa": "بازنشسته کردن", "en": "Retire"},
    "catalogue.retire_note": {"fa": "خدمت از همهٔ منوها برداشته می‌شود؛ درخواست‌های پیشین آن می‌مانند.",
                              "en": "The service leaves every menu; its past requests stay."},
    "catalogue.saved": {"fa": "ذخیره و منتشر شد: نسخهٔ {version}", "en": "Saved and published: version {version}"},
    "catalogue.field": {"fa": "بخش", "en": "Field"},
    "catalogue.value": {"fa": "مقدار", "en": "Value"},
    "catalogue.parent": {"fa": "خدمت مادر (شناسه)", "en": "Parent service (id)"},
    "catalogue.short": {"fa": "برچسب کوتاه منو", "en": "Short menu label"},
    "catalogue.description": {"fa": "شرح", "en": "Description"},
    "catalogue.documents": {"fa": "مدارک", "en": "Documents"},
    "catalogue.document": {"fa": "مدرک {n}", "en": "Document {n}"},
    "catalogue.hours": {"fa": "ساعات ارائه", "en": "Hours"},
    "catalogue.visits": {"fa": "مراجعهٔ حضوری", "en": "In-person visits"},
    "catalogue.account": {"fa": "حساب واریز هزینه", "en": "Account the fee goes to"},
    "catalogue.complaint": {"fa": "راه شکایت", "en": "How to complain"},
    "catalogue.steps": {"fa": "مراحل", "en": "Steps"},
    "catalogue.step": {"fa": "مرحلهٔ {n}", "en": "Step {n}"},
    "catalogue.inputs": {"fa": "پرسش‌های درخواست", "en": "What a request asks"},
    "catalogue.input": {"fa": "پرسش {n}", "en": "Question {n}"},
    "catalogue.input_name": {"fa": "نام متغیر", "en": "Variable name"},
    "catalogue.validator": {"fa": "بررسی‌کننده (نام یا JSON)", "en": "Validator (a name or JSON)"},
    "catalogue.prompt": {"fa": "پرسش", "en": "Prompt"},
    "catalogue.personal": {"fa": "دادهٔ شخصی", "en": "Personal data"},
    "catalogue.personal_auto": {"fa": "بنا بر بررسی‌کننده", "en": "By its validator"},
    "catalogue.yes": {"fa": "بله", "en": "yes"},
    "catalogue.no": {"fa": "خیر", "en": "no"},
    "catalogue.active": {"fa": "در منوها (فعال)", "en": "In the menus (active)"},
    "catalogue.identity_check": {"fa": "استعلام مالکیت شماره همراه با کد ملی (شاهکار)",
                                 "en": "Check the mobile number belongs to the national code (Shahkar)"},
    "catalogue.lists_note": {"fa": "ردیف خالی را برای افزودن پر کنید؛ ردیفی را که خالی کنید حذف می‌شود.",
                             "en": "Fill the empty row to add one; empty a row to remove it."},
    "catalogue.save": {"fa": "ذخیره و انتشار", "en": "Save and publish"},
    "catalogue.preview": {"fa": "پیش‌نمایش", "en": "Preview"},
    "catalogue.preview_none": {"fa": "پیش‌نمایشی نیست: این خدمت در هیچ کانال پیشخوان (USSD، پیامک، بات) ارائه نمی‌شود یا کارت آن کامل نیست.",
                               "en": "No preview: the service is on none of Pishkhan's channels (USSD, SMS, bots) or its card is not complete."},
    "catalogue.preview_over": {"fa": "بیش از اندازه", "en": "over the limit"},
    "catalogue.pages": {"fa": "صفحه‌ها: {count}", "en": "pages: {count}"},
    "catalogue.page": {"fa": "صفحهٔ {n} از {of}", "en": "page {n} of {of}"},
    "catalogue.listed_node": {"fa": "منویی که خدمت در آن است", "en": "Menu listing the service"},
    "catalogue.menu_node": {"fa": "منوی خدمت", "en": "Service menu"},
    "catalogue.card_node": {"fa": "شناسنامهٔ خدمت", "en": "Service card"},
    "catalogue.used": {"fa": "{used} از {limit}", "en": "{used} of {limit}"},
    "catalogue.unit.characters": {"fa": "نویسه", "en": "characters"},
    "catalogue.unit.segments": {"fa": "بخش پیامک", "en": "SMS segments"},
    "catalogue.errors": {"fa": "کارت پذیرفته نشد؛ ایرادها کنار هر بخش آمده است.",
                         "en": "The card was not accepted; each problem is shown at its field."},
    "catalogue.stale": {"fa": "در این میان تغییر دیگری منتشر شد؛ بررسی و دوباره ذخیره کنید.",
                        "en": "Another change was published meanwhile; check and save again."},
    "catalogue.taken": {"fa": "این شناسه پیش‌تر به خدمتی داده شده است.", "en": "This id is taken by another service."},
    "catalogue.too_big": {"fa": "بیشینه {max} است.", "en": "At most {max}."},
    "catalogue.too_long": {"fa": "بیشینه {max} نویسه.", "en": "At most {max} characters."},
    "catalogue.too_many": {"fa": "بیشینه {max} ردیف.", "en": "At most {max} rows."},
    "catalogue.bad_name": {"fa": "حروف و رقم لاتین و _ (تا ۳۲)، آغاز با حرف؛ مانند national_code",
                           "en": "Latin letters, digits and _ (up to 32), starting with a letter; e.g. national_code"},
    "catalogue.bad_json": {"fa": "JSON درست نیست: {error}", "en": "Not valid JSON: {error}"},
    "lang.fa": {"fa": "فارسی", "en": "Persian"},
    "lang.en": {"fa": "انگلیسی", "en": "English"},
    "channel.ussd": {"fa": "USSD", "en": "USSD"},
    "channel.sms": {"fa": "پیامک", "en": "SMS"},
    "channel.telegram": {"fa": "بات", "en": "Bot"},
}

TEXT_FIELDS = ("title", "short", "description", "hours", "complaint")
"""The card's one-text-per-language fields, in the order the form shows them."""
LIST_FIELDS = ("documents", "steps")
COUNTS = ("fee", "days_to_deliver", "visits")
_ROW = re.compile(r"^(documents|steps|inputs)\.(\d{1,2})\.(.+)$")
_PERSONAL = {"yes": True, "no": False}


@dataclass
class CardForm:
    """What the card form shows: the values typed (or the card's), the list rows, the problems by field."""

    values: dict[str, str]
    channels: list[str]
    rows: dict[str, int]
    """How many rows each list field shows (the filled ones and one empty, to add)."""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Field name -> problems; "" for problems no single field has."""

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _languages(request: web.Request) -> tuple[str, ...]:
    return tuple(gateway_of(request).settings.flows.languages)


def form_of_card(card: Mapping[str, Any], languages: tuple[str, ...]) -> CardForm:
    """The form filled with a card (its `to_dict`)."""
    values: dict[str, str] = {key: str(card.get(key) or "") for key in ("id", "parent", "category", "agency", "type", "account")}
    values.update({key: str(card.get(key, 0)) for key in COUNTS})
    values["active"] = "on" if card.get("active", True) else ""
    values["identity_check"] = "on" if card.get("identity_check") else ""
    for key in TEXT_FIELDS:
        values.update({f"{key}.{lang}": (card.get(key) or {}).get(lang, "") for lang in languages})
    for key in LIST_FIELDS:
        for i, text in enumerate(card.get(key) or []):
            values.update({f"{key}.{i}.{lang}": text.get(lang, "") for lang in languages})
    for i, item in enumerate(card.get("inputs") or []):
        validator = item.get("validator", "text")
        values[f"inputs.{i}.name"] = item["name"]
        values[f"inputs.{i}.validator"] = validator if isinstance(validator, str) else json.dumps(validator, ensure_ascii=False)
        values[f"inputs.{i}.personal"] = {True: "yes", False: "no"}.get(item.get("personal"), "")
        values.update({f"inputs.{i}.prompt.{lang}": item["prompt"].get(lang, "") for lang in languages})
    rows = {key: len(card.get(key) or []) + 1 for key in (*LIST_FIELDS, "inputs")}
    return CardForm(values, list(card.get("channels") or []), rows)


def _known_names(languages: tuple[str, ...]) -> set[str]:
    names = {"csrf", "action", "id", "parent", "category", "agency", "type", "account", "active", "identity_check", "channels", *COUNTS}
    return names | {f"{key}.{lang}" for key in TEXT_FIELDS for lang in languages}


def read_card_form(form: MultiDictProxy[Any], languages: tuple[str, ...]) -> CardForm:
    """The form as typed; 400 naming any field the form does not have (never silently dropped).
    List rows are renumbered in order, the emptied ones dropped, and one empty row added for another."""
    known, values = _known_names(languages), {}
    parts = {key: set(languages) for key in LIST_FIELDS} | {"inputs": {"name", "validator", "personal", *(f"prompt.{lang}" for lang in languages)}}
    rows: dict[str, dict[int, dict[str, str]]] = {key: {} for key in parts}
    for name, value in form.items():
        if not isinstance(value, str):
            raise web.HTTPBadRequest(reason=f"{name}: expected text")
        row = _ROW.match(name)
        if row and row.group(3) in parts[row.group(1)]:
            rows[row.group(1)].setdefault(int(row.group(2)), {})[row.group(3)] = value.strip()
        elif name not in known:
            raise web.HTTPBadRequest(reason=f"{name}: the card form has no such field")
        elif name != "channels":
            values[name] = value.strip()
    card_form = CardForm(values, [str(c) for c in form.getall("channels", [])], {})
    for key, typed in rows.items():
        filled = [typed[i] for i in sorted(typed) if any(v for part, v in typed[i].items() if part != "personal")]
        for new, row_values in enumerate(filled):
            values.update({f"{key}.{new}.{part}": v for part, v in row_values.items()})
        card_form.rows[key] = len(filled) + 1
    return card_form


def _count(card_form: CardForm, key: str, s: Speaker) -> int | str:
    """A count as typed: Persian digits and thousands separators allowed; anything else (`-5`, `abc`)
    is passed on as typed, for the card rules to refuse in their words."""
    typed = normalise_input(card_form.values.get(key, "")).replace(",", "").replace("٬", "")
    if not typed:
        return 0
    if not typed.isascii() or not typed.isdigit():
        return typed
    if int(typed) > MAXIMA[key]:
        card_form.add(key, s.t("catalogue.too_big", max=MAXIMA[key]))
    return int(typed)


def card_of_form(card_form: CardForm, languages: tuple[str, ...], s: Speaker) -> dict[str, Any]:
    """The card mapping the API would take, from the form; problems the card rules cannot see (too
    long, not a number, not JSON) are added to the form's errors."""
    values = card_form.values
    for name, value in values.items():
        if len(value) > MAX_TEXT:
            card_form.add(name, s.t("catalogue.too_long", max=MAX_TEXT))

    def texts(prefix: str) -> dict[str, str]:
        return {code: values[f"{prefix}.{code}"] for code in languages if values.get(f"{prefix}.{code}")}

    if len(values.get("account", "")) > MAX_ACCOUNT:
        card_form.add("account", s.t("catalogue.too_long", max=MAX_ACCOUNT))
    card: dict[str, Any] = {"id": values.get("id", ""), "parent": values.get("parent") or None, "category": values.get("category", ""),
                            "agency": values.get("agency") or None, "type": values.get("type", ""), "account": values.get("account") or None,
                            "channels": card_form.channels, "active": bool(values.get("active")),
                            "identity_check": bool(values.get("identity_check"))}
    card.update({key: texts(key) for key in TEXT_FIELDS})
    card["short"] = card["short"] or None
    card.update({key: _count(card_form, key, s) for key in COUNTS})
    for key in LIST_FIELDS:
        card[key] = [texts(f"{key}.{i}") for i in range(card_form.rows.get(key, 1) - 1)]
    card["inputs"] = [_input(card_form, i, languages, s) for i in range(card_form.rows.get("inputs", 1) - 1)]
    for key in (*LIST_FIELDS, "inputs"):
        if len(card[key]) > MAX_LIST:
            card_form.add(key, s.t("catalogue.too_many", max=MAX_LIST))
    return card


def _input(card_form: CardForm, i: int, languages: tuple[str, ...], s: Speaker) -> dict[str, Any]:
    values = card_form.values
    typed = values.get(f"inputs.{i}.validator") or "text"
    validator: Any = typed
    if typed.startswith("{"):
        try:
            validator = json.loads(typed)
        except ValueError as exc:
            card_form.add(f"inputs.{i}.validator", s.t("catalogue.bad_json", error=str(exc)))
    name = values.get(f"inputs.{i}.name", "")
    if not INPUT_NAME.match(name):
        card_form.add(f"inputs.{i}.name", s.t("catalogue.bad_name"))
    item: dict[str, Any] = {"name": name, "validator": validator,
                            "prompt": {lang: values[f"inputs.{i}.prompt.{lang}"] for lang in languages if values.get(f"inputs.{i}.prompt.{lang}")}}
    if values.get(f"inputs.{i}.personal") in _PERSONAL:
        item["personal"] = _PERSONAL[values[f"inputs.{i}.personal"]]
    return item


_BACKTICKED = re.compile(r"^`([a-z_]+)(?:\.([a-z]{2}))?`")
_MISSING = re.compile(r"has no ([a-z]{2})")
_PLAIN = (("unknown channels", "channels"), ("input `", "inputs"), ("each input", "inputs"), ("parent ", "parent"),
          ("does not share its parent", "id"), ("this id", "id"), ("category ", "category"),
          ("agency ", "agency"))


def field_of(error: FlowError) -> str:
    """The form field a card problem concerns ("" when none: a menu over a limit, say)."""
    found = _BACKTICKED.match(error.message)
    if found:
        key, lang = found.groups()
        missing = _MISSING.search(error.message)
        if lang is None and missing and key in TEXT_FIELDS:
            lang = missing.group(1)
        return f"{key}.{lang}" if lang else key
    return next((name for start, name in _PLAIN if error.message.startswith(start)), "")


def _explain(error: FlowError) -> str:
    return error.message + (f" ({error.hint})" if error.hint else "")


@dataclass(frozen=True)
class NodePreview:
    """One screen of the service (its menu or its card) on one channel in one language."""

    label: str
    node: str
    """Which screen: `listed` (the menu listing the service), `menu` (its own) or `card`."""
    channel: str
    lang: str
    pages: ChannelPreview


def preview_of(request: web.Request, card: dict[str, Any]) -> tuple[list[NodePreview], list[FlowError]]:
    """The menu listing the service, its own menu and its card as each channel would show them in each
    language, drawn from the flows the card would make (nothing is stored); and the problems the card
    rules found. Drawn even when a text breaks a limit, so the page it breaks shows; not when a
    language is missing, as the menus cannot be made."""
    gateway = gateway_of(request)
    drafted = draft(gateway, card, SOURCE)
    service = drafted.service
    flows = draft_flows(gateway, drafted.catalogue) if service is not None and drafted.complete else None
    if service is None or flows is None:
        return [], drafted.errors
    previewer = Previewer(flows, gateway.settings)
    screens = []
    for lang in _languages(request):
        for channel in PREVIEW_CHANNELS:
            listed_in = f"{channel}_svc_{service.parent}" if service.parent else f"{channel}_cat_{service.category}"
            for screen, node in (("listed", listed_in), ("menu", f"{channel}_svc_{service.id}"), ("card", f"card_{service.id}")):
                ref = f"{FLOW_ID}:{node}"
                if flows.find(ref) is not None and channel in previewer.channels_reaching(ref):
                    screens.append(NodePreview(f"catalogue.{screen}_node", screen, channel, lang, previewer.node(ref, lang, channel)))
    return screens, drafted.errors


def fee_text(fee: int, lang: str) -> str:
    """A fee as the catalogue's menus say it (`300,000 rials`, `free`), in the language's digits."""
    return money(fee, lang).replace(f"{fee:,}", number(fee, lang))


def _title(service: Service, lang: str) -> str:
    return service.title.get(lang) or next(iter(service.title.values()), "")


@requires("viewer", scope=AGENCY)
async def list_services(request: web.Request) -> web.StreamResponse:
    """Every card of the live catalogue the user's scope sees, retired ones too, filtered by category and channel."""
    catalogue = gateway_of(request).catalogue
    category, channel = request.query.get("category", ""), request.query.get("channel", "")
    if category and category not in {c.id for c in catalogue.categories}:
        raise web.HTTPBadRequest(reason=f"category: no category {category!r}")
    if channel and channel not in CHANNELS:
        raise web.HTTPBadRequest(reason=f"channel: use one of {', '.join(CHANNELS)}")
    scope = scope_of_page(request)
    services = [s for s in catalogue.services
                if scope.sees_service(s.id) and (not category or s.category == category) and (not channel or s.offered_on(channel))]
    return render(request, "catalogue_list.html", {
        "services": services, "categories": catalogue.categories, "channels": CHANNELS, "category": category, "channel": channel,
        "category_titles": {c.id: c.title for c in catalogue.categories}, "fee_text": fee_text, "title_of": _title})


def _service(request: web.Request) -> Service:
    service = gateway_of(request).catalogue.get(request.match_info["id"])
    if service is None or not scope_of_page(request).sees_service(service.id):  # another agency's: as if there were none
        raise web.HTTPNotFound(reason=f"no service has id {request.match_info['id']}")
    return service


@requires("viewer", scope=AGENCY)
async def show_service(request: web.Request) -> web.StreamResponse:
    """One card, every field in every language."""
    service = _service(request)
    saved = request.query.get("saved", "")
    return render(request, "catalogue_service.html", {
        "service": service, "card_languages": _languages(request), "fee_text": fee_text, "saved": int(saved) if saved.isdigit() else None,
        "category_titles": {c.id: c.title for c in gateway_of(request).catalogue.categories},
        "agency_names": {a.id: a.name for a in gateway_of(request).catalogue.agencies}})


def _edit_page(request: web.Request, card_form: CardForm, card: dict[str, Any], *, new: bool, status: int = 200,
               show_card_errors: bool = False) -> web.Response:
    """The card form with the preview of `card`; `show_card_errors` adds the card rules' problems at their fields."""
    catalogue = gateway_of(request).catalogue
    screens, errors = preview_of(request, card)
    for error in errors if show_card_errors else ():
        card_form.add(field_of(error), _explain(error))
    # the card's channels first, in its order (a card's order is kept), then the others; an unknown one stays, flagged
    choices = [*dict.fromkeys(card_form.channels), *(c for c in CHANNELS if c not in card_form.channels)]
    return render(request, "catalogue_edit.html", {
        "form": card_form, "new": new, "card_languages": _languages(request), "categories": catalogue.categories,
        "agencies": [a for a in catalogue.agencies if scope_of_page(request).sees_agency(a.id)],
        "types": SERVICE_TYPES, "channels": CHANNELS, "channel_choices": choices, "validators": VALIDATOR_TYPES, "preview": screens,
        "action": f"{PREFIX}/services/new" if new else f"{PREFIX}/services/{card_form.values['id']}/edit"},
        status=status)


@requires("admin", scope=AGENCY)
async def new_form(request: web.Request) -> web.StreamResponse:
    """An empty card to fill."""
    card = {"type": SERVICE_TYPES[0], "channels": list(PREVIEW_CHANNELS)}
    return _edit_page(request, form_of_card(card, _languages(request)), card, new=True)


@requires("admin", scope=AGENCY)
async def edit_form(request: web.Request) -> web.StreamResponse:
    """A card's form, with the preview of the card as it is."""
    card = _service(request).to_dict()
    return _edit_page(request, form_of_card(card, _languages(request)), card, new=False)


async def _posted(request: web.Request, *, new: bool) -> tuple[CardForm, dict[str, Any], str]:
    existing = None if new else _service(request)  # another agency's card is not found before its form is read
    form = await read_form(request)
    languages, s = _languages(request), speaker(request)
    card_form = read_card_form(form, languages)
    if existing is not None:
        card_form.values["id"] = existing.id  # the id is the page's: ids never change
    card = card_of_form(card_form, languages, s)
    return card_form, card, str(form.get("action", "save"))


async def _save(request: web.Request, *, new: bool) -> web.StreamResponse:
    card_form, card, action = await _posted(request, new=new)
    if action == "preview":
        return _edit_page(request, card_form, card, new=new, show_card_errors=True)
    gateway, user = gateway_of(request), signed_in(request).user
    if new and SERVICE_ID.match(card["id"]) and gateway.catalogue.get(card["id"]) is not None:
        card_form.add("id", speaker(request).t("catalogue.taken"))
    if card_form.errors:
        return _edit_page(request, card_form, card, new=new, status=422, show_card_errors=True)
    note = f"service {card['id']} {'created' if new else 'changed'} in the console"
    async with request.app[EDITS]:
        try:
            catalogue, service = candidate(gateway, card, SOURCE)
            if not scope_of_page(request).sees_agency(service.agency):  # made in, or moved to, an agency the user is not for
                card_form.add("agency", speaker(request).t("catalogue.other_agency"))
                return _edit_page(request, card_form, card, new=new, status=403)
            version = await publish_catalogue(gateway, catalogue, author=user.actor, note=note, action="service.changed", subject=card["id"])
        except InvalidCard as exc:
            for error in exc.errors:
                card_form.add(field_of(error), _explain(error))
            return _edit_page(request, card_form, card, new=new, status=422)
        except StaleVersion:
            card_form.add("", speaker(request).t("catalogue.stale"))
            return _edit_page(request, card_form, card, new=new, status=409)
    return see_other(f"{PREFIX}/services/{card['id']}?saved={version.number}")


@requires("admin", scope=AGENCY)
async def create_service(request: web.Request) -> web.StreamResponse:
    """Add a service (or preview it)."""
    return await _save(request, new=True)


@requires("admin", scope=AGENCY)
async def change_service(request: web.Request) -> web.StreamResponse:
    """Change a card (or preview the change)."""
    return await _save(request, new=False)


@requires("admin", scope=AGENCY)
async def preview_fragment(request: web.Request) -> web.StreamResponse:
    """The preview of a posted form alone, for catalogue.js to put in the page while the admin types."""
    form = await read_form(request)
    languages, s = _languages(request), speaker(request)
    card_form = read_card_form(form, languages)
    screens, _ = preview_of(request, card_of_form(card_form, languages, s))
    return render(request, "catalogue_preview.html", {"preview": screens})


@requires("admin", scope=AGENCY)
async def retire_service(request: web.Request) -> web.StreamResponse:
    """Take a service off every menu (`active: false`) in a new version; its card and past requests stay."""
    await read_form(request)
    service, gateway, user = _service(request), gateway_of(request), signed_in(request).user
    if not service.active:
        return see_other(f"{PREFIX}/services/{service.id}")
    async with request.app[EDITS]:
        try:
            catalogue, _ = candidate(gateway, {**service.to_dict(), "active": False}, SOURCE)
            version = await publish_catalogue(gateway, catalogue, author=user.actor, note=f"service {service.id} retired in the console",
                                              action="service.retired", subject=service.id)
        except (InvalidCard, StaleVersion) as exc:
            raise web.HTTPConflict(reason=str(exc)) from exc
    return see_other(f"{PREFIX}/services/{service.id}?saved={version.number}")


def setup(console: web.Application) -> None:
    """Add the catalogue's pages."""
    console[EDITS] = asyncio.Lock()
    service = r"/services/{id:[0-9]{9}}"
    console.router.add_get("/services", list_services)
    console.router.add_get("/services/new", new_form)
    console.router.add_post("/services/new", create_service)
    console.router.add_post("/services/preview", preview_fragment)
    console.router.add_get(service, show_service)
    console.router.add_get(f"{service}/edit", edit_form)
    console.router.add_post(f"{service}/edit", change_service)
    console.router.add_post(f"{service}/retire", retire_service)
