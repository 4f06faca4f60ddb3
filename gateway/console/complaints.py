"""Complaints and suggestions in the console: the queue (the most overdue first, then the oldest, with
filters) and one complaint's page, where operators answer it or move it along (the citizen is sent the
answer, as through the API: gateway.complaints.service).

Viewers read, with the citizen's phone number and address masked; operators and admins act. A filter
value the page does not know is a 400 naming the field, never quietly dropped.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from flows.masking import mask_digit_runs, mask_phone, masked
from flows.texts import pick
from gateway.catalogue.model import CHANNELS
from gateway.complaints.lifecycle import KINDS, LIFECYCLE, MAX_TEXT, STATUSES
from gateway.complaints.store import ComplaintFilter, ComplaintRecord
from gateway.console.i18n import Texts
from gateway.console.transition import TransitionForm
from gateway.console.web import (
    PREFIX,
    SETTINGS,
    BadFilter,
    NavItem,
    gateway_of,
    render,
    requires,
    scope_of_page,
    signed_in,
    speaker,
)
from gateway.requests.masking import masked_text
from gateway.scopes import AGENCY

NAV = (NavItem(f"{PREFIX}/complaints", "complaints.title"),)
CHOICES: dict[str, tuple[str, ...]] = {"status": STATUSES, "kind": KINDS, "channel": CHANNELS}
"""Filters that are one of a list (the service's list is the catalogue)."""
CHECKS = ("late", "open")
QUERY_KEYS = (*CHOICES, "service", *CHECKS, "page")
"""Everything the queue's address may carry; any other key is refused."""

TEXTS: Texts = {
    "complaints.title": {"fa": "شکایت‌ها و پیشنهادها", "en": "Complaints"},
    "complaints.kind": {"fa": "نوع", "en": "Kind"},
    "complaints.status": {"fa": "وضعیت", "en": "Status"},
    "complaints.service": {"fa": "خدمت", "en": "Service"},
    "complaints.channel": {"fa": "کانال", "en": "Channel"},
    "complaints.any": {"fa": "همه", "en": "Any"},
    "complaints.late_only": {"fa": "فقط دیرکرده‌ها", "en": "Late only"},
    "complaints.open_only": {"fa": "فقط بی‌پاسخ", "en": "Unanswered only"},
    "complaints.apply": {"fa": "نمایش", "en": "Show"},
    "complaints.total": {"fa": "{count} مورد", "en": "{count} complaints and suggestions"},
    "complaints.page": {"fa": "صفحهٔ {page} از {pages}", "en": "Page {page} of {pages}"},
    "complaints.prev": {"fa": "صفحهٔ قبل", "en": "Previous page"},
    "complaints.next": {"fa": "صفحهٔ بعد", "en": "Next page"},
    "complaints.none": {"fa": "موردی با این شرایط نیست.", "en": "None matches."},
    "complaints.bad_filter": {"fa": "مقدار «{field}» شناخته نیست: {value}", "en": "{field}: unknown value {value}"},
    "complaints.bad_key": {"fa": "این نشانی پارامتر ناشناختهٔ «{field}» دارد.", "en": "{field}: not a filter of this page"},
    "complaints.code": {"fa": "کد پیگیری", "en": "Code"},
    "complaints.subject": {"fa": "دربارهٔ", "en": "About"},
    "complaints.request": {"fa": "درخواست {code}", "en": "request {code}"},
    "complaints.filed": {"fa": "ثبت", "en": "Filed"},
    "complaints.due": {"fa": "مهلت پاسخ", "en": "Answer due"},
    "complaints.late_by": {"fa": "{days} روز دیرکرد", "en": "late by {days} days"},
    "complaints.one": {"fa": "{kind} {code}", "en": "{kind} {code}"},
    "complaints.citizen": {"fa": "شهروند", "en": "Citizen"},
    "complaints.phone": {"fa": "تلفن", "en": "Phone"},
    "complaints.address": {"fa": "نشانی پاسخ", "en": "Reply address"},
    "complaints.language": {"fa": "زبان", "en": "Language"},
    "complaints.text": {"fa": "نوشتهٔ شهروند", "en": "What the citizen wrote"},
    "complaints.answer_sent": {"fa": "پاسخ فرستاده‌شده", "en": "Answer sent"},
    "complaints.nobody": {"fa": "—", "en": "—"},
    "complaints.history": {"fa": "تاریخچه", "en": "History"},
    "complaints.when": {"fa": "زمان", "en": "When"},
    "complaints.who": {"fa": "توسط", "en": "By"},
    "complaints.to": {"fa": "به", "en": "To"},
    "complaints.act": {"fa": "پاسخ یا تغییر وضعیت", "en": "Answer or change the status"},
    "complaints.new_status": {"fa": "وضعیت تازه", "en": "New status"},
    "complaints.answer": {"fa": "پاسخ (برای شهروند فرستاده می‌شود)", "en": "Answer (sent to the citizen)"},
    "complaints.answer_for": {"fa": "برای «پاسخ داده شد» و «رد شد» نوشتن پاسخ لازم است.",
                              "en": "An answer is required to answer or reject."},
    "complaints.submit": {"fa": "ثبت", "en": "Save"},
    "complaints.final": {"fa": "این مورد بسته شده است.", "en": "This one is closed."},
    "complaints.answer_needed": {"fa": "برای «{status}» نوشتن پاسخ لازم است؛ برای شهروند فرستاده می‌شود.",
                                 "en": "answer: required to mark it {status}; the citizen is sent it"},
    "complaints.answer_long": {"fa": "پاسخ باید حداکثر {limit} نویسه باشد.", "en": "answer: at most {limit} characters"},
    "complaints.changed": {"fa": "در این میان کسی وضعیت را تغییر داد؛ اکنون «{status}» است. دوباره بررسی کنید.",
                           "en": "Someone changed it meanwhile: it is now {status}. Look again."},
    "complaints.not_allowed": {"fa": "از «{from_}» نمی‌توان به «{to}» رفت.", "en": "to: {from_} cannot become {to}"},
    **{f"complaints.kind.{kind}": names for kind, names in {
        "complaint": {"fa": "شکایت", "en": "Complaint"}, "suggestion": {"fa": "پیشنهاد", "en": "Suggestion"}}.items()},
    **{f"complaints.status.{status}": names for status, names in {
        "filed": {"fa": "ثبت‌شده", "en": "filed"}, "in_review": {"fa": "در حال بررسی", "en": "in review"},
        "answered": {"fa": "پاسخ داده شد", "en": "answered"}, "rejected": {"fa": "رد شد", "en": "rejected"},
        "closed": {"fa": "بسته", "en": "closed"}}.items()},
}


@dataclass(frozen=True)
class Row:
    """A complaint as a line of the queue."""

    record: ComplaintRecord
    title: str
    late_days: int | None


@dataclass
class Queue:
    """What the queue page shows: the filters as typed, the rows, the paging links."""

    typed: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    prev: str | None = None
    next: str | None = None


def _say(request: web.Request, key: str, **values: object) -> str:
    return speaker(request).t(key, **values)


def queue_filter(request: web.Request, today: datetime.date) -> ComplaintFilter:
    """The store's filter for this page of the queue; BadFilter names a wrong key or value."""
    query = request.query
    for name in query:
        if name not in QUERY_KEYS:
            raise BadFilter("complaints.bad_key", field=name)
    scope = scope_of_page(request)
    known = {**CHOICES, "service": {s.id for s in gateway_of(request).catalogue.services if scope.sees_service(s.id)}}
    chosen: dict[str, str | None] = {}
    for name, values in known.items():
        value = query.get(name, "")
        if value and value not in values:
            raise BadFilter("complaints.bad_filter", field=name, value=value)
        chosen[name] = value or None
    for name in (*CHECKS, "page"):
        value = query.get(name, "")
        if value and not (value.isascii() and value.isdigit() and (name == "page" and int(value) >= 1 or value == "1")):
            raise BadFilter("complaints.bad_filter", field=name, value=value)
    size = request.config_dict[SETTINGS].page_size
    return ComplaintFilter(today=today, status=chosen["status"], kind=chosen["kind"], channel=chosen["channel"], service_id=chosen["service"],
                           late_only=query.get("late") == "1", open_only=query.get("open") == "1", services=scope.services, limit=size,
                           offset=(int(query.get("page") or 1) - 1) * size)


def _link(typed: Mapping[str, str], page: int) -> str:
    kept = {name: value for name, value in typed.items() if value and name != "page"}
    return f"{PREFIX}/complaints?{urlencode({**kept, 'page': page})}"


@requires("viewer", scope=AGENCY)
async def queue(request: web.Request) -> web.StreamResponse:
    """The queue: filtered, the most overdue first, a page at a time."""
    complaints = gateway_of(request).complaints
    lang = signed_in(request).user.language
    shown = Queue({name: request.query.get(name, "") for name in QUERY_KEYS})
    context: dict[str, Any] = {"queue": shown, "choices": {
        "status": [(v, _say(request, f"complaints.status.{v}")) for v in STATUSES],
        "kind": [(v, _say(request, f"complaints.kind.{v}")) for v in KINDS],
        "service": [(s.id, pick(s.title, lang)) for s in gateway_of(request).catalogue.services if scope_of_page(request).sees_service(s.id)],
        "channel": [(v, _say(request, f"desk.channel.{v}")) for v in CHANNELS]}}  # the desk's names of channels
    today = complaints.today()
    try:
        where = queue_filter(request, today)
    except BadFilter as bad:
        return render(request, "complaints_list.html", {**context, "error": _say(request, bad.key, **bad.values)}, status=400)
    records, total = await complaints.search(where)
    shown.rows = [Row(r, complaints.title(r.service_id, lang), LIFECYCLE.late_days(r, today)) for r in records]
    shown.total, shown.page = total, where.offset // where.limit + 1
    shown.pages = max(1, -(-total // where.limit))
    shown.prev = _link(shown.typed, shown.page - 1) if shown.page > 1 else None
    shown.next = _link(shown.typed, shown.page + 1) if shown.page < shown.pages else None
    return render(request, "complaints_list.html", context)


async def _record(request: web.Request) -> ComplaintRecord:
    code = request.match_info["code"]
    record = await gateway_of(request).complaints.get(code) if code.isascii() and code.isdigit() else None
    if record is None or not scope_of_page(request).sees_service(record.service_id):  # another agency's: as if there were none
        raise web.HTTPNotFound(reason=f"no complaint has code {code}")
    return record


async def complaint_page(request: web.Request, record: ComplaintRecord, *, error: str | None = None,
                         typed: Mapping[str, str] | None = None, status: int = 200) -> web.Response:
    """One complaint with its history; `error` and `typed` re-show a form that did not go through."""
    complaints = gateway_of(request).complaints
    user = signed_in(request).user
    full = user.can("operator")
    return render(request, "complaints_one.html", {
        "c": replace(record, answer=masked_text(record.answer, full)), "title": complaints.title(record.service_id, user.language),
        "late_days": LIFECYCLE.late_days(record, complaints.today()),
        "phone": record.phone if full or not record.phone else mask_phone(record.phone),
        "address": record.address if full else masked(record.address),
        "text": record.text if full else mask_digit_runs(record.text),
        "events": [replace(e, reason=masked_text(e.reason, full)) for e in await complaints.store.events(record.id)],
        "next_statuses": LIFECYCLE.next(record.status),
        "typed": {"to": "", "answer": "", **(typed or {})}, "max_answer": MAX_TEXT, "error": error,
    }, status=status)


@requires("viewer", scope=AGENCY)
async def show(request: web.Request) -> web.StreamResponse:
    """A complaint's page."""
    return await complaint_page(request, await _record(request))


async def _move(request: web.Request, record: ComplaintRecord, to: str, answer: str | None, seen: str) -> None:
    await gateway_of(request).complaints.transition(record.code, to, actor=signed_in(request).user.actor, answer=answer, seen=seen)


FORM = TransitionForm(LIFECYCLE, "complaints", _record, complaint_page, _move, lambda record: f"{PREFIX}/complaints/{record.code}")


@requires("operator", scope=AGENCY)
async def transition(request: web.Request) -> web.StreamResponse:
    """Answer, reject, review or close; an answer or a rejection is sent to the citizen."""
    return await FORM.handle(request)


def setup(console: web.Application) -> None:
    """Add the queue, the complaint page and its form."""
    console.router.add_get("/complaints", queue)
    console.router.add_get("/complaints/{code}", show)
    console.router.add_post("/complaints/{code}/transition", transition)

