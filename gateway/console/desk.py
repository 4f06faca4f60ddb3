"""The requests desk: the queue of citizens' requests (most overdue first), one request with
everything that happened to it, and what staff do with it: move it along the lifecycle (the citizen
is told, as through the API), keep notes for colleagues, and assign it.

Viewers read (phone numbers, national codes and personal inputs masked); operators and admins act.
A filter value the desk does not know is a 400 naming the field, never quietly dropped: a queue
that silently shows everything when asked for `status=lost` misleads whoever reads it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import phonenumbers
from aiohttp import web

from flows.masking import mask_national_code, mask_phone, masked
from flows.normalise import normalise_input
from flows.texts import pick
from flows.tracking import is_valid_tracking_code
from flows.validators import is_valid_national_code
from gateway.catalogue.model import CHANNELS
from gateway.console.i18n import Texts
from gateway.console.transition import TransitionForm
from gateway.console.web import (
    PREFIX,
    SETTINGS,
    BadFilter,
    NavItem,
    gateway_of,
    read_form,
    render,
    requires,
    scope_of_page,
    see_other,
    signed_in,
    speaker,
    typed_text,
)
from gateway.requests.desk import MAX_NOTE, DeskError, RequestDesk
from gateway.requests.lifecycle import LIFECYCLE, MAX_REASON, REASON_REQUIRED, STATUSES
from gateway.requests.masking import masked_inputs, masked_text
from gateway.requests.store import RequestFilter, RequestRecord
from gateway.runtime import GATEWAY
from gateway.scopes import AGENCY

DESK = web.AppKey("console_desk", RequestDesk)
NAV = (NavItem(f"{PREFIX}/requests", "desk.title"),)
QUERY_KEYS = ("q", "service", "status", "channel", "late", "open", "assigned", "page")
"""Everything the queue's address may carry; any other key is refused."""
ASSIGNED = ("me", "none")
_SEARCH_NOISE = re.compile(r"[\s\-_.()]")
"""What people type inside a code, a phone number or a national code and none of them contains."""

TEXTS: Texts = {
    "desk.title": {"fa": "درخواست‌ها", "en": "Requests"},
    "desk.search": {"fa": "کد رهگیری، شمارهٔ تلفن یا کد ملی", "en": "Tracking code, phone number or national code"},
    "desk.service": {"fa": "خدمت", "en": "Service"},
    "desk.status": {"fa": "وضعیت", "en": "Status"},
    "desk.channel": {"fa": "کانال", "en": "Channel"},
    "desk.assigned": {"fa": "کارشناس", "en": "Assignee"},
    "desk.assigned.me": {"fa": "واگذارشده به من", "en": "Assigned to me"},
    "desk.assigned.none": {"fa": "واگذارنشده", "en": "Unassigned"},
    "desk.any": {"fa": "همه", "en": "Any"},
    "desk.late_only": {"fa": "فقط دیرکرده‌ها", "en": "Late only"},
    "desk.open_only": {"fa": "فقط باز", "en": "Open only"},
    "desk.apply": {"fa": "نمایش", "en": "Show"},
    "desk.total": {"fa": "{count} درخواست", "en": "{count} requests"},
    "desk.page": {"fa": "صفحهٔ {page} از {pages}", "en": "Page {page} of {pages}"},
    "desk.prev": {"fa": "صفحهٔ قبل", "en": "Previous page"},
    "desk.next": {"fa": "صفحهٔ بعد", "en": "Next page"},
    "desk.none": {"fa": "درخواستی با این شرایط نیست.", "en": "No request matches."},
    "desk.searched": {"fa": "جست‌وجو به عنوان {kind}", "en": "Searched as a {kind}"},
    "desk.kind.tracking_code": {"fa": "کد رهگیری", "en": "tracking code"},
    "desk.kind.phone": {"fa": "شمارهٔ تلفن", "en": "phone number"},
    "desk.kind.national_code": {"fa": "کد ملی", "en": "national code"},
    "desk.code": {"fa": "کد رهگیری", "en": "Tracking code"},
    "desk.created": {"fa": "ثبت", "en": "Made"},
    "desk.due": {"fa": "موعد", "en": "Due"},
    "desk.late_by": {"fa": "{days} روز دیرکرد", "en": "late by {days} days"},
    "desk.payment": {"fa": "پرداخت", "en": "Payment"},
    "desk.nobody": {"fa": "—", "en": "—"},
    "desk.bad_filter": {"fa": "مقدار «{field}» شناخته نیست: {value}", "en": "{field}: unknown value {value}"},
    "desk.bad_key": {"fa": "این نشانی پارامتر ناشناختهٔ «{field}» دارد.", "en": "{field}: not a filter of this page"},
    "desk.bad_search": {"fa": "«{value}» نه کد رهگیری است، نه شمارهٔ تلفن، نه کد ملی.",
                        "en": "q: {value} is not a tracking code, a phone number or a national code"},
    "desk.bad_page": {"fa": "شمارهٔ صفحه باید عددی از ۱ به بالا باشد.", "en": "page: a whole number from 1"},
    "desk.request": {"fa": "درخواست {code}", "en": "Request {code}"},
    "desk.citizen": {"fa": "شهروند", "en": "Citizen"},
    "desk.phone": {"fa": "تلفن", "en": "Phone"},
    "desk.national_code": {"fa": "کد ملی", "en": "National code"},
    "desk.address": {"fa": "نشانی پاسخ", "en": "Reply address"},
    "desk.language": {"fa": "زبان", "en": "Language"},
    "desk.fee": {"fa": "هزینه (ریال)", "en": "Fee (rials)"},
    "desk.inputs": {"fa": "پاسخ‌های شهروند", "en": "The citizen's answers"},
    "desk.history": {"fa": "تاریخچهٔ وضعیت", "en": "Status history"},
    "desk.when": {"fa": "زمان", "en": "When"},
    "desk.who": {"fa": "توسط", "en": "By"},
    "desk.from": {"fa": "از", "en": "From"},
    "desk.to": {"fa": "به", "en": "To"},
    "desk.reason": {"fa": "دلیل (شهروند آن را می‌خواند)", "en": "Reason (the citizen reads it)"},
    "desk.payments": {"fa": "پرداخت‌ها", "en": "Payments"},
    "desk.no_payments": {"fa": "پرداختی ندارد.", "en": "No payments."},
    "desk.amount": {"fa": "مبلغ {amount} ریال، {provider}: {state}", "en": "{amount} rials via {provider}: {state}"},
    "desk.detail": {"fa": "شرح", "en": "Detail"},
    "desk.event": {"fa": "رویداد", "en": "Event"},
    "desk.messages": {"fa": "پیام‌های فرستاده به شهروند", "en": "Messages to the citizen"},
    "desk.no_messages": {"fa": "پیامی فرستاده نشده است.", "en": "No messages."},
    "desk.message_kind": {"fa": "نوع", "en": "Kind"},
    "desk.message_state": {"fa": "وضعیت ارسال", "en": "Delivery"},
    "desk.message_text": {"fa": "متن", "en": "Text"},
    "desk.hidden": {"fa": "(برای کارشناسان)", "en": "(shown to operators)"},
    "desk.transition": {"fa": "تغییر وضعیت", "en": "Change the status"},
    "desk.transition.to": {"fa": "وضعیت تازه", "en": "New status"},
    "desk.transition.submit": {"fa": "ثبت و خبر به شهروند", "en": "Change and tell the citizen"},
    "desk.final": {"fa": "این درخواست به پایان رسیده است.", "en": "This request is final."},
    "desk.reason_for": {"fa": "برای {statuses} نوشتن دلیل لازم است.", "en": "A reason is required for: {statuses}"},
    "desk.reason_needed": {"fa": "برای «{status}» نوشتن دلیل لازم است؛ شهروند آن را می‌خواند.",
                           "en": "reason: required to mark it {status}; the citizen reads it"},
    "desk.reason_long": {"fa": "دلیل باید حداکثر {limit} نویسه باشد.", "en": "reason: at most {limit} characters"},
    "desk.changed": {"fa": "در این میان کسی وضعیت را تغییر داد؛ اکنون «{status}» است. دوباره بررسی کنید.",
                     "en": "Someone changed this request meanwhile: it is now {status}. Look again."},
    "desk.not_allowed": {"fa": "از «{from_}» نمی‌توان به «{to}» رفت.", "en": "to: a request that is {from_} cannot become {to}"},
    "desk.notes": {"fa": "یادداشت‌های داخلی (به شهروند فرستاده نمی‌شود)", "en": "Internal notes (never sent to the citizen)"},
    "desk.no_notes": {"fa": "یادداشتی نیست.", "en": "No notes."},
    "desk.note": {"fa": "یادداشت تازه", "en": "New note"},
    "desk.note.submit": {"fa": "افزودن یادداشت", "en": "Add the note"},
    "desk.note_empty": {"fa": "یادداشت خالی است.", "en": "note: write something"},
    "desk.note_long": {"fa": "یادداشت باید حداکثر {limit} نویسه باشد.", "en": "note: at most {limit} characters"},
    "desk.assignee": {"fa": "واگذاری به", "en": "Assign to"},
    "desk.assign.submit": {"fa": "واگذاری", "en": "Assign"},
    "desk.assign.me": {"fa": "برمی‌دارم", "en": "Take it"},
    "desk.assign.nobody": {"fa": "هیچ‌کس", "en": "Nobody"},
    "desk.assign.bad": {"fa": "این کاربر نمی‌تواند درخواست بگیرد.", "en": "assignee: not a colleague who works on requests"},
    **{f"desk.status.{status}": names for status, names in {
        "submitted": {"fa": "ثبت‌شده", "en": "submitted"},
        "in_review": {"fa": "در حال بررسی", "en": "in review"},
        "needs_info": {"fa": "نیازمند اطلاعات", "en": "needs information"},
        "approved": {"fa": "پذیرفته", "en": "approved"},
        "rejected": {"fa": "ردشده", "en": "rejected"},
        "delivered": {"fa": "تحویل‌شده", "en": "delivered"},
        "cancelled": {"fa": "لغوشده", "en": "cancelled"},
    }.items()},
    **{f"desk.channel.{channel}": names for channel, names in {
        "web": {"fa": "وب", "en": "web"}, "email": {"fa": "رایانامه", "en": "email"}, "ivr": {"fa": "تلفن گویا", "en": "IVR"},
        "app": {"fa": "اپ", "en": "app"}, "sms": {"fa": "پیامک", "en": "SMS"}, "ussd": {"fa": "USSD", "en": "USSD"},
        "telegram": {"fa": "بات", "en": "bot"}, "counter": {"fa": "پیشخوان حضوری", "en": "counter"},
    }.items()},
    **{f"desk.payment.{state}": names for state, names in {
        "none": {"fa": "ندارد", "en": "none"}, "pending": {"fa": "در انتظار", "en": "pending"},
        "paid": {"fa": "پرداخت‌شده", "en": "paid"}, "failed": {"fa": "ناموفق", "en": "failed"},
    }.items()},
}


@dataclass(frozen=True)
class Row:
    """A request as a line of the queue."""

    record: RequestRecord
    title: str
    late_days: int | None
    assignee: str | None


@dataclass
class Queue:
    """What the queue page shows: the filters as typed, the rows, the paging links."""

    typed: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    searched: str | None = None
    prev: str | None = None
    next: str | None = None


def today_of(request: web.Request) -> datetime.date:
    """Today on the gateway's clock (a test's clock too), in the calendar's time zone."""
    requests = gateway_of(request).requests
    return requests.calendar.date_of(requests.clock())


def service_title(request: web.Request, service_id: str, lang: str) -> str:
    """A service's title in `lang` (its id when the catalogue no longer has it)."""
    service = gateway_of(request).catalogue.get(service_id)
    return pick(service.title, lang) if service else service_id


def search_terms(typed: str, region: str) -> list[tuple[str, str]]:
    """The ways a search can be read, most specific first: (filter, value) for a tracking code (its check
    digit right, never a leading zero), a national code (its check digit right) and a phone number (any
    spelling phonenumbers reads, in `region` when it has no country code); digits in any script."""
    text = normalise_input(typed)
    compact = _SEARCH_NOISE.sub("", text)
    terms = []
    if compact.isascii() and compact.isdigit():
        if not compact.startswith("0") and is_valid_tracking_code(compact):
            terms.append(("tracking_code", compact))
        if is_valid_national_code(compact):
            terms.append(("national_code", compact))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        terms.append(("phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)))
    return terms


def _chosen(query: Mapping[str, str], name: str, known: Any) -> str | None:
    value = query.get(name, "")
    if value and value not in known:
        raise BadFilter("desk.bad_filter", field=name, value=value)
    return value or None


def _checked(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "")
    if value not in ("", "1"):
        raise BadFilter("desk.bad_filter", field=name, value=value)
    return value == "1"


def queue_filter(request: web.Request) -> tuple[RequestFilter, list[tuple[str, str]]]:
    """The store's filter for this page of the queue, and the ways its search can be read; BadFilter names a wrong value."""
    query = request.query
    for name in query:
        if name not in QUERY_KEYS:
            raise BadFilter("desk.bad_key", field=name)
    gateway = gateway_of(request)
    size = request.config_dict[SETTINGS].page_size
    page = query.get("page", "1")
    if not (page.isascii() and page.isdigit() and int(page) >= 1):
        raise BadFilter("desk.bad_page")
    scope = scope_of_page(request)
    service = _chosen(query, "service", {s.id for s in gateway.catalogue.services if scope.sees_service(s.id)})
    assigned = _chosen(query, "assigned", ASSIGNED)
    typed = query.get("q", "").strip()
    terms = search_terms(typed, gateway.settings.flows.default_region) if typed else []
    if typed and not terms:
        raise BadFilter("desk.bad_search", value=typed)
    today = today_of(request)
    where = RequestFilter(
        status=_chosen(query, "status", STATUSES), service_id=service, channel=_chosen(query, "channel", CHANNELS),
        late_on=today if _checked(query, "late") else None, open_only=_checked(query, "open"),
        assignee=signed_in(request).user.id if assigned == "me" else None, unassigned=assigned == "none",
        lateness_on=today, services=scope.services, limit=size, offset=(int(page) - 1) * size)
    return where, terms


async def _search(request: web.Request, where: RequestFilter, terms: list[tuple[str, str]]) -> tuple[list[RequestRecord], int, str | None]:
    """The page of requests; with a search, the first reading of it that finds any (else the first reading)."""
    requests = gateway_of(request).requests
    if not terms:
        return (*await requests.search(where), None)
    found: tuple[list[RequestRecord], int, str | None] | None = None
    for kind, value in terms:
        reading: dict[str, Any] = {kind: value}
        records, total = await requests.search(replace(where, **reading))
        if total or found is None:
            found = (records, total, kind)
        if total:
            break
    assert found is not None
    return found


def _link(typed: Mapping[str, str], page: int) -> str:
    """The queue's address for `page` with the same filters."""
    kept = {name: value for name, value in typed.items() if value and name != "page"}
    return f"{PREFIX}/requests?{urlencode({**kept, 'page': page})}"


@requires("viewer", scope=AGENCY)
async def queue(request: web.Request) -> web.StreamResponse:
    """The queue: filtered, most overdue first, a page at a time."""
    gateway = gateway_of(request)
    lang = signed_in(request).user.language
    shown = Queue({name: request.query.get(name, "") for name in QUERY_KEYS})
    say = speaker(request).t
    context: dict[str, Any] = {  # each filter's choices: (value, what the user reads)
        "queue": shown, "services": [(s.id, pick(s.title, lang)) for s in gateway.catalogue.services
                                     if s.inputs and scope_of_page(request).sees_service(s.id)],
        "statuses": [(v, say(f"desk.status.{v}")) for v in STATUSES], "channels": [(v, say(f"desk.channel.{v}")) for v in CHANNELS],
        "assigned": [(v, say(f"desk.assigned.{v}")) for v in ASSIGNED]}
    try:
        where, terms = queue_filter(request)
    except BadFilter as bad:
        return render(request, "desk_list.html", {**context, "error": _say(request, bad.key, **bad.values)}, status=400)
    records, total, shown.searched = await _search(request, where, terms)
    today = today_of(request)
    assignees = await request.config_dict[DESK].assignees([r.id for r in records])
    shown.rows = [Row(r, service_title(request, r.service_id, lang), LIFECYCLE.late_days(r, today), assignees.get(r.id)) for r in records]
    shown.total, shown.page = total, where.offset // where.limit + 1
    shown.pages = max(1, -(-total // where.limit))
    shown.prev = _link(shown.typed, shown.page - 1) if shown.page > 1 else None
    shown.next = _link(shown.typed, shown.page + 1) if shown.page < shown.pages else None
    return render(request, "desk_list.html", context)


def _agency_of(request: web.Request, record: RequestRecord) -> str | None:
    """The agency a request belongs to (its service's); None when its service is gone from the catalogue."""
    service = gateway_of(request).catalogue.get(record.service_id)
    return service.agency or None if service else None


def _say(request: web.Request, key: str, **values: object) -> str:
    return speaker(request).t(key, **values)


async def _record(request: web.Request) -> RequestRecord:
    code = request.match_info["code"]
    record = await gateway_of(request).requests.get(code) if code.isascii() and code.isdigit() else None
    if record is None or not scope_of_page(request).sees_service(record.service_id):  # another agency's: as if there were none
        raise web.HTTPNotFound(reason=f"no request has tracking code {code}")
    return record


async def request_page(request: web.Request, record: RequestRecord, *, error: str | None = None, typed: Mapping[str, str] | None = None,
                       status: int = 200) -> web.Response:
    """One request with everything that happened to it; `error` and `typed` re-show a form that did not go through."""
    gateway = gateway_of(request)
    user = signed_in(request).user
    full = user.can("operator")
    desk = request.config_dict[DESK]
    payments = gateway.payments.store
    paid = [(p, await payments.events(p.id)) for p in await payments.for_request(record.id)]
    colleagues = await desk.colleagues(_agency_of(request, record))
    next_statuses = LIFECYCLE.next(record.status)
    needing = [speaker(request).t(f"desk.status.{s}") for s in next_statuses if s in REASON_REQUIRED]
    assignee = (await desk.assignees([record.id])).get(record.id)
    return render(request, "desk_request.html", {
        "r": record, "title": service_title(request, record.service_id, user.language), "late_days": LIFECYCLE.late_days(record, today_of(request)),
        "phone": record.phone if full or not record.phone else mask_phone(record.phone),
        "national_code": record.national_code if full or not record.national_code else mask_national_code(record.national_code),
        "address": record.address if full else masked(record.address),
        "inputs": dict(record.inputs) if full else masked_inputs(record.inputs, gateway.catalogue.get(record.service_id)),
        "events": [replace(e, reason=masked_text(e.reason, full)) for e in await gateway.requests.store.events(record.id)], "payments": paid,
        "messages": await desk.messages(record), "full": full,
        "notes": [replace(n, text=masked_text(n.text, full)) for n in await desk.notes(record.id)],
        "next_statuses": next_statuses, "reason_for": ("، " if user.language == "fa" else ", ").join(needing),
        "assignee": assignee, "colleagues": colleagues, "typed": {"to": "", "reason": "", "note": "", **(typed or {})},
        "max_reason": MAX_REASON, "max_note": MAX_NOTE, "error": error,
    }, status=status)


@requires("viewer", scope=AGENCY)
async def show(request: web.Request) -> web.StreamResponse:
    """A request's page."""
    return await request_page(request, await _record(request))


async def _move(request: web.Request, record: RequestRecord, to: str, reason: str | None, seen: str) -> None:
    await gateway_of(request).requests.transition(record.tracking_code, to, actor=signed_in(request).user.actor, reason=reason, seen=seen)


FORM = TransitionForm(LIFECYCLE, "desk", _record, request_page, _move, lambda record: f"{PREFIX}/requests/{record.tracking_code}")


@requires("operator", scope=AGENCY)
async def transition(request: web.Request) -> web.StreamResponse:
    """Move the request to the status chosen; the citizen is told (RequestService.transition, as the API does)."""
    return await FORM.handle(request)


@requires("operator", scope=AGENCY)
async def add_note(request: web.Request) -> web.StreamResponse:
    """Keep a note for colleagues (never sent to the citizen)."""
    form = await read_form(request)
    record = await _record(request)
    text = typed_text(form, "note")
    if not text or len(text) > MAX_NOTE:
        error = _say(request, "desk.note_long", limit=MAX_NOTE) if text else _say(request, "desk.note_empty")
        return await request_page(request, record, error=error, typed={"note": text}, status=400)
    user = signed_in(request).user
    await request.config_dict[DESK].add_note(record, user.id, user.actor, text)
    return see_other(f"{PREFIX}/requests/{record.tracking_code}#notes")


@requires("operator", scope=AGENCY)
async def assign(request: web.Request) -> web.StreamResponse:
    """Give the request to a colleague, to oneself, or to nobody."""
    form = await read_form(request)
    record = await _record(request)
    chosen = typed_text(form, "assignee")
    if chosen and not (chosen.isascii() and chosen.isdigit()):
        return await request_page(request, record, error=_say(request, "desk.assign.bad"), status=400)
    try:
        await request.config_dict[DESK].assign(record, int(chosen) if chosen else None, signed_in(request).user.actor,
                                               _agency_of(request, record))
    except DeskError:
        return await request_page(request, record, error=_say(request, "desk.assign.bad"), status=400)
    return see_other(f"{PREFIX}/requests/{record.tracking_code}")


def setup(console: web.Application) -> None:
    """Add the queue, the request page and its forms."""
    gateway = console[GATEWAY]
    console[DESK] = RequestDesk(gateway.db, gateway.requests.clock)
    console.router.add_get("/requests", queue)
    console.router.add_get("/requests/{code}", show)
    console.router.add_post("/requests/{code}/transition", transition)
    console.router.add_post("/requests/{code}/notes", add_note)
    console.router.add_post("/requests/{code}/assign", assign)
