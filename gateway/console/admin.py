"""The console's operations pages: the outbox (dead messages, retry), payments (reconcile findings,
repair), API tokens and console users.

Each acts through the same part the API and the CLI use (OutboxAdmin, reconcile/repair, TokenStore,
UserStore), so the console can do nothing they could not and every change lands in the audit trail
under the user's name. An admin may not disable or demote their own account: the last admin must
not be able to lock everyone out, and nobody should lose the page they are on by a slip.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from flows.normalise import normalise_input
from gateway.audit import AuditLog
from gateway.console.i18n import Texts
from gateway.console.users import LANGUAGES, MAX_PASSWORD, MIN_PASSWORD, UserError
from gateway.console.web import USERS, NavItem, gateway_of, read_form, render, requires, scope_of_page, see_other, signed_in, speaker
from gateway.outbox.admin import RETRYABLE, STATES, MessageNotFound, NotRetryable, OutboxAdmin, OutboxFilter
from gateway.payments import STATES as PAYMENT_STATES
from gateway.payments import PaymentFilter, PaymentService
from gateway.payments.reconcile import PROBLEMS, reconcile
from gateway.payments.repair import RESULTS, repair
from gateway.scopes import AGENCY, NATIONAL
from gateway.tokens import ROLES, TokenError, TokenStore

PAGE = 50
OUTBOX_CHANNELS = ("sms", "telegram")
TOKEN_NAME = 64
MAX_TOKEN_DAYS = 3650
"""Days a token made on this page may live at most (ten years); the CLI's --expires-in takes a date too."""
DAY = 86400.0
NAV = (NavItem("/console/outbox", "admin.outbox", "operator"), NavItem("/console/payments", "admin.payments", "operator"),
       NavItem("/console/tokens", "admin.tokens", "admin", national=True), NavItem("/console/users", "admin.users", "admin", national=True))
TEXTS: Texts = {
    "admin.outbox": {"fa": "صف پیام‌ها", "en": "Outbox"},
    "admin.payments": {"fa": "پرداخت‌ها", "en": "Payments"},
    "admin.tokens": {"fa": "توکن‌های API", "en": "API tokens"},
    "admin.users": {"fa": "کاربران", "en": "Users"},
    "admin.any": {"fa": "همه", "en": "Any"},
    "admin.filter": {"fa": "پالایش", "en": "Filter"},
    "admin.state": {"fa": "وضعیت", "en": "State"},
    "admin.channel": {"fa": "کانال", "en": "Channel"},
    "admin.kind": {"fa": "گونه", "en": "Kind"},
    "admin.address": {"fa": "گیرنده", "en": "Recipient"},
    "admin.attempts": {"fa": "تلاش‌ها", "en": "Attempts"},
    "admin.last_error": {"fa": "آخرین خطا", "en": "Last error"},
    "admin.created": {"fa": "ساخته شده", "en": "Created"},
    "admin.updated": {"fa": "به‌روز شده", "en": "Updated"},
    "admin.none": {"fa": "چیزی پیدا نشد.", "en": "Nothing found."},
    "admin.older": {"fa": "قدیمی‌ترها", "en": "Older"},
    "admin.newer": {"fa": "بعدی", "en": "Next"},
    "admin.first": {"fa": "از اول", "en": "From the start"},
    "admin.message": {"fa": "پیام {id}", "en": "Message {id}"},
    "admin.text": {"fa": "متن", "en": "Text"},
    "admin.meta": {"fa": "داده‌های همراه", "en": "Meta"},
    "admin.provider": {"fa": "درگاه", "en": "Provider"},
    "admin.delivery": {"fa": "گزارش تحویل", "en": "Delivery report"},
    "admin.retry": {"fa": "فرستادن دوباره", "en": "Send again"},
    "admin.retried": {"fa": "پیام دوباره در صف فرستادن است.", "en": "The message is queued to be sent again."},
    "admin.not_retryable": {"fa": "این پیام را نمی‌توان دوباره فرستاد: {why}", "en": "This message cannot be sent again: {why}"},
    "admin.back": {"fa": "بازگشت به فهرست", "en": "Back to the list"},
    "admin.payments_off": {"fa": "پرداخت روشن نیست.", "en": "Payments are not enabled."},
    "admin.tracking": {"fa": "کد پیگیری", "en": "Tracking code"},
    "admin.amount": {"fa": "مبلغ (ریال)", "en": "Amount (rials)"},
    "admin.reason": {"fa": "علت", "en": "Reason"},
    "admin.findings": {"fa": "یافته‌های تطبیق", "en": "Reconcile findings"},
    "admin.no_findings": {"fa": "همه چیز با هم می‌خواند.", "en": "Everything agrees."},
    "admin.problem": {"fa": "مسئله", "en": "Problem"},
    "admin.detail": {"fa": "جزئیات", "en": "Detail"},
    "admin.payment": {"fa": "پرداخت", "en": "Payment"},
    "admin.repair": {"fa": "رسیدگی خودکار به یافته‌ها", "en": "Repair the findings"},
    "admin.repair_help": {"fa": "هر یافته با همان راه پاسخ درگاه و جاروب رسیدگی می‌شود؛ مسائل پولی (بازپرداخت) برای یک نفر می‌ماند.",
                          "en": "Each finding gets the one safe action (as a callback or the sweeper would); money questions "
                                "(refunds) are left for a person."},
    "admin.repaired": {"fa": "نتیجهٔ رسیدگی", "en": "What the repair did"},
    "admin.result": {"fa": "نتیجه", "en": "Result"},
    "admin.why": {"fa": "چرا", "en": "Why"},
    "admin.left": {"fa": "{count} یافته هنوز رسیدگی می‌خواهد.", "en": "{count} finding(s) still need attention."},
    "admin.total": {"fa": "{count} مورد", "en": "{count} in all"},
    "admin.id": {"fa": "شناسه", "en": "Id"},
    "admin.name": {"fa": "نام", "en": "Name"},
    "admin.role": {"fa": "نقش", "en": "Role"},
    "admin.last_used": {"fa": "آخرین کاربرد", "en": "Last used"},
    "admin.revoked": {"fa": "باطل شده", "en": "Revoked"},
    "admin.active": {"fa": "فعال", "en": "Active"},
    "admin.new_token": {"fa": "توکن تازه", "en": "New token"},
    "admin.token_name": {"fa": "نام (چه کسی یا چه سامانه‌ای آن را به کار می‌برد)", "en": "Name (who or what uses it)"},
    "admin.create": {"fa": "ساختن", "en": "Create"},
    "admin.token_made": {"fa": "توکن «{name}» ساخته شد", "en": "Token “{name}” created"},
    "admin.token_copy": {"fa": "این توکن را همین حالا رونوشت کنید: دیگر هرگز نشان داده نمی‌شود (تنها درهمهٔ آن نگه داشته می‌شود).",
                         "en": "Copy this token now: it is never shown again (only its hash is kept)."},
    "admin.token_value": {"fa": "توکن", "en": "Token"},
    "admin.revoke": {"fa": "باطل کردن", "en": "Revoke"},
    "admin.revoke_confirm": {"fa": "توکن {id} («{name}»، {role}) باطل شود؟ هر سامانه‌ای که آن را به کار می‌برد دیگر راه نمی‌یابد.",
                             "en": "Revoke token {id} (“{name}”, {role})? Whatever uses it is refused from now on."},
    "admin.cancel": {"fa": "انصراف", "en": "Cancel"},
    "admin.token_gone": {"fa": "این توکن پیدا نشد یا پیش‌تر باطل شده است.", "en": "No such token, or it was revoked already."},
    "admin.token_revoked": {"fa": "توکن {id} باطل شد.", "en": "Token {id} was revoked."},
    "admin.language": {"fa": "زبان", "en": "Language"},
    "admin.status": {"fa": "وضعیت", "en": "Status"},
    "admin.locked_until": {"fa": "قفل تا {until}", "en": "locked until {until}"},
    "admin.disabled": {"fa": "غیرفعال", "en": "disabled"},
    "admin.enabled": {"fa": "فعال", "en": "active"},
    "admin.new_user": {"fa": "کاربر تازه", "en": "New user"},
    "admin.user_name": {"fa": "نام کاربری (حروف کوچک لاتین، رقم، . _ -)", "en": "User name (lower-case letters, digits, . _ -)"},
    "admin.password": {"fa": "گذرواژهٔ نخست (دست‌کم ۱۰ نویسه)", "en": "Initial password (at least 10 characters)"},
    "admin.user": {"fa": "کاربر {name}", "en": "User {name}"},
    "admin.change_role": {"fa": "تغییر نقش", "en": "Change the role"},
    "admin.agencies": {"fa": "دستگاه‌ها", "en": "Agencies"},
    "admin.all_agencies": {"fa": "همهٔ دستگاه‌ها", "en": "Every agency"},
    "admin.change_agencies": {"fa": "تغییر دستگاه‌ها", "en": "Change the agencies"},
    "admin.agencies_hint": {"fa": "هیچ‌کدام را نزنید تا همهٔ دستگاه‌ها را ببیند.", "en": "Tick none for every agency."},
    "admin.expires": {"fa": "پایان اعتبار", "en": "Expires"},
    "admin.no_end": {"fa": "بی‌پایان", "en": "No end"},
    "admin.expired": {"fa": "منقضی", "en": "Expired"},
    "admin.replaced": {"fa": "جایگزین‌شده با توکن {id}", "en": "Replaced by token {id}"},
    "admin.valid_days": {"fa": "اعتبار به روز (خالی: بی‌پایان)", "en": "Valid for how many days (empty: no end)"},
    "admin.days_range": {"fa": "عددی از ۱ تا {most}", "en": "a whole number from 1 to {most}"},
    "admin.disable": {"fa": "غیرفعال کردن", "en": "Disable"},
    "admin.enable": {"fa": "فعال کردن", "en": "Enable"},
    "admin.unlock": {"fa": "برداشتن قفل", "en": "Unlock"},
    "admin.reset": {"fa": "گذاشتن گذرواژهٔ تازه", "en": "Reset the password"},
    "admin.new_password": {"fa": "گذرواژهٔ تازه (دست‌کم ۱۰ نویسه)", "en": "New password (at least 10 characters)"},
    "admin.saved": {"fa": "ذخیره شد.", "en": "Saved."},
    "admin.not_yourself": {"fa": "نمی‌توانید حساب خودتان را غیرفعال کنید یا نقش آن را پایین بیاورید؛ مدیر دیگری باید این کار را بکند.",
                           "en": "You cannot disable or demote your own account; another admin must do it."},
    "admin.no_user": {"fa": "چنین کاربری نیست.", "en": "There is no such user."},
    "admin.field": {"fa": "{field}: {problem}", "en": "{field}: {problem}"},
    "admin.required": {"fa": "لازم است", "en": "required"},
    "admin.too_long": {"fa": "حداکثر {limit} نویسه", "en": "at most {limit} characters"},
    "admin.choose": {"fa": "یکی از گزینه‌ها را برگزینید", "en": "choose one of the options"},
    **{f"admin.problem.{key}": {"fa": fa, "en": key.replace("_", " ")} for key, fa in (
        ("at_provider", "در درگاه، بی‌پاسخ"), ("link_open", "پیوند استفاده‌نشده"), ("amount_differs", "مبلغ ناهمخوان"),
        ("provider_mismatch", "درگاه مبلغ را تأیید نکرد"), ("request_state", "وضعیت پرداخت درخواست ناهمخوان"),
        ("paid_twice", "دو بار پرداخت"), ("no_request", "پرداخت بی‌درخواست"), ("no_payment", "درخواست هزینه‌دار بی‌پرداخت"),
        ("unknown_authority", "نشست بانکی ناشناخته"))},
    **{f"admin.result.{key}": {"fa": fa, "en": key.replace("_", " ")} for key, fa in (
        ("repaired", "رسیدگی شد"), ("unchanged", "بی‌تغییر"), ("provider_down", "درگاه پاسخ نداد"), ("needs_person", "نیاز به بررسی انسانی"))},
}
assert set(PROBLEMS) == {key.removeprefix("admin.problem.") for key in TEXTS if key.startswith("admin.problem.")}
assert set(RESULTS) == {key.removeprefix("admin.result.") for key in TEXTS if key.startswith("admin.result.")}


class FieldError(Exception):
    """A form field that is not acceptable: the page is drawn again with this message and what was typed."""


class NotYourself(FieldError):
    """An admin's change to their own account that would lock them out (disable, demote)."""


def _field(form: Mapping[str, Any], name: str, label: str, request: web.Request, *, limit: int = 200,
           choices: tuple[str, ...] | None = None, strip: bool = True) -> str:
    """A form field checked, or FieldError naming the field in the page's language."""
    words = speaker(request)
    raw = form.get(name, "")
    value = (raw.strip() if strip else raw) if isinstance(raw, str) else ""
    problem = None
    if not value:
        problem = words.t("admin.required")
    elif len(value) > limit:
        problem = words.t("admin.too_long", limit=limit)
    elif choices is not None and value not in choices:
        problem = words.t("admin.choose")
    if problem:
        raise FieldError(words.t("admin.field", field=words.t(label), problem=problem))
    return value


def _choice(query: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    """A list filter from the query string: one of `choices`, else none (400 naming it)."""
    value = query.get(name, "")
    if not value:
        return None
    if value not in choices:
        raise web.HTTPBadRequest(reason=f"{name}: use one of {', '.join(choices)}")
    return value


def _whole(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name, "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise web.HTTPBadRequest(reason=f"{name}: expected a whole number")
    return int(value)


# Outbox

def _outbox(request: web.Request) -> OutboxAdmin:
    return OutboxAdmin(gateway_of(request).outbox)


@requires("operator", scope=AGENCY)
async def outbox_list(request: web.Request) -> web.StreamResponse:
    """Messages newest first, by state and channel (those about the user's agencies' services); dead ones are the ones to look at."""
    where = OutboxFilter(state=_choice(request.query, "state", STATES), channel=_choice(request.query, "channel", OUTBOX_CHANNELS),
                         limit=PAGE, before_id=_whole(request.query, "before_id"), services=scope_of_page(request).services)
    rows = await _outbox(request).search(where)
    older = rows[-1].id if len(rows) == PAGE else None
    return render(request, "admin_outbox.html", {"rows": rows, "where": where, "older": older, "states": STATES,
                                                 "channels": OUTBOX_CHANNELS})


async def _message_page(request: web.Request, message_id: int, *, error: str | None = None, status: int = 200) -> web.Response:
    row = await _outbox(request).get(message_id)
    if row is None or not scope_of_page(request).sees_service(row.service_id):  # another agency's: as if there were none
        raise web.HTTPNotFound(reason=f"no outbox message has id {message_id}")
    return render(request, "admin_message.html", {"row": row, "retryable": row.state in RETRYABLE, "error": error,
                                                  "retried": request.query.get("retried") == "1"}, status=status)


def _message_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise web.HTTPNotFound(reason=f"no outbox message has id {raw[:20]}")
    return int(raw)


@requires("operator", scope=AGENCY)
async def message(request: web.Request) -> web.StreamResponse:
    """One message: its text, meta and whole address (operators act on it), and a retry when it stopped."""
    return await _message_page(request, _message_id(request))


@requires("operator", scope=AGENCY)
async def retry(request: web.Request) -> web.StreamResponse:
    """Send a dead or failed message again (audited as outbox.retried); another agency's is not found."""
    message_id = _message_id(request)
    await read_form(request)
    row = await _outbox(request).get(message_id)
    if row is None or not scope_of_page(request).sees_service(row.service_id):
        raise web.HTTPNotFound(reason=f"no outbox message has id {message_id}")
    try:
        await _outbox(request).retry(message_id, actor=signed_in(request).user.actor)
    except MessageNotFound as missing:
        raise web.HTTPNotFound(reason=str(missing)) from missing
    except NotRetryable as refused:
        return await _message_page(request, message_id, error=speaker(request).t("admin.not_retryable", why=str(refused)), status=409)
    return see_other(f"/console/outbox/{message_id}?retried=1")


# Payments

def _payments(request: web.Request) -> PaymentService | None:
    return gateway_of(request).payments


async def _codes(payments: PaymentService, request_ids: set[int]) -> dict[int, str]:
    codes = {}
    for request_id in request_ids:
        record = await payments.requests.store.get_by_id(request_id)
        if record is not None:
            codes[request_id] = record.tracking_code
    return codes


@requires("operator", scope=AGENCY)
async def payments_page(request: web.Request) -> web.StreamResponse:
    """Payments newest first by state (of the user's agencies' requests), and for national operators what reconcile
    finds (it spans every agency), with the repair the API offers."""
    payments = _payments(request)
    if payments is None:
        return render(request, "admin_payments.html", {"off": True})
    state = _choice(request.query, "state", PAYMENT_STATES)
    offset = _whole(request.query, "offset") or 0
    scope = scope_of_page(request)
    found, total = await payments.store.search(PaymentFilter(state=state, services=scope.services, limit=PAGE, offset=offset))
    codes = await _codes(payments, {p.request_id for p in found})
    findings = await reconcile(payments.store, payments.requests.clock()) if scope.national else []
    return render(request, "admin_payments.html", {"off": False, "found": found, "total": total, "codes": codes, "state": state,
                                                   "offset": offset, "page": PAGE, "states": PAYMENT_STATES, "findings": findings})


@requires("operator", scope=NATIONAL)
async def payments_repair(request: web.Request) -> web.StreamResponse:
    """Act on every finding, as `POST /api/v1/payments/reconcile` does; show what was done (audited)."""
    await read_form(request)
    payments = _payments(request)
    if payments is None:
        raise web.HTTPNotFound(reason="payments are not enabled")
    done = await repair(payments, payments.requests.clock())
    counts = {result: sum(d.result == result for d in done) for result in RESULTS}
    await AuditLog(gateway_of(request).db, payments.requests.clock).record(signed_in(request).user.actor, "payments.repaired",
                                                                          "payments", {"counts": counts})
    return render(request, "admin_repaired.html", {"done": done, "left": sum(d.left for d in done)})


# API tokens

def _tokens(request: web.Request) -> TokenStore:
    return TokenStore(gateway_of(request).db)


async def _tokens_page(request: web.Request, *, error: str | None = None, typed: Mapping[str, Any] | None = None,
                       notice: str | None = None, status: int = 200) -> web.Response:
    rows = await _tokens(request).list()
    agencies = gateway_of(request).catalogue.agencies
    return render(request, "admin_tokens.html", {
        "rows": rows, "roles": ROLES, "typed": typed or {"name": "", "role": "viewer", "days": "", "chosen": []},
        "agencies": agencies, "now": time.time(),
        "error": error, "notice": notice}, status=status)


def _valid_days(form: Mapping[str, Any], request: web.Request) -> int | None:
    """The token's lifetime in days as typed (Persian digits too); None when left empty; FieldError otherwise."""
    typed = normalise_input(str(form.get("days", "")).strip())
    if not typed:
        return None
    if not (typed.isascii() and typed.isdigit() and 1 <= int(typed) <= MAX_TOKEN_DAYS):
        words = speaker(request)
        raise FieldError(words.t("admin.field", field=words.t("admin.valid_days"), problem=words.t("admin.days_range", most=MAX_TOKEN_DAYS)))
    return int(typed)


@requires("admin", scope=NATIONAL)
async def tokens_page(request: web.Request) -> web.StreamResponse:
    """Every token (never its hash) and a form to make one."""
    revoked = _whole(request.query, "revoked")
    notice = speaker(request).t("admin.token_revoked", id=revoked) if revoked else None
    return await _tokens_page(request, notice=notice)


@requires("admin", scope=NATIONAL)
async def token_create(request: web.Request) -> web.StreamResponse:
    """Make a token and show it this once (the page is never stored: every console page is no-store)."""
    form = await read_form(request)
    chosen = [str(a) for a in form.getall("agency", [])]
    typed = {"name": str(form.get("name", ""))[:TOKEN_NAME * 2], "role": str(form.get("role", "")),
             "days": str(form.get("days", ""))[:8], "chosen": chosen}
    try:
        name = _field(form, "name", "admin.name", request, limit=TOKEN_NAME)
        role = _field(form, "role", "admin.role", request, choices=ROLES)
        days = _valid_days(form, request)
        token = await _tokens(request).create(role, name, actor=signed_in(request).user.actor, agencies=chosen or None,
                                              expires_at=None if days is None else time.time() + days * DAY)
    except (FieldError, TokenError) as error:
        return await _tokens_page(request, error=str(error), typed=typed, status=400)
    return render(request, "admin_token_made.html", {"token": token, "name": name, "role": role})


async def _token_row(request: web.Request) -> dict[str, Any]:
    token_id = _whole({"id": request.match_info["id"]}, "id")
    for row in await _tokens(request).list():
        if row["id"] == token_id and row["revoked_at"] is None:
            return row
    raise web.HTTPNotFound(reason=speaker(request).t("admin.token_gone"))


@requires("admin", scope=NATIONAL)
async def token_revoke_form(request: web.Request) -> web.StreamResponse:
    """Ask before revoking: whatever uses the token stops working at once."""
    return render(request, "admin_token_revoke.html", {"row": await _token_row(request)})


@requires("admin", scope=NATIONAL)
async def token_revoke(request: web.Request) -> web.StreamResponse:
    """Revoke a token (audited)."""
    row = await _token_row(request)
    await read_form(request)
    if not await _tokens(request).revoke(int(row["id"]), actor=signed_in(request).user.actor):
        raise web.HTTPNotFound(reason=speaker(request).t("admin.token_gone"))
    return see_other(f"/console/tokens?revoked={row['id']}")


# Users

async def _users_page(request: web.Request, *, error: str | None = None, typed: Mapping[str, str] | None = None,
                      status: int = 200) -> web.Response:
    users = await request.config_dict[USERS].list()
    now = gateway_of(request).requests.clock()
    return render(request, "admin_users.html", {"users": users, "roles": ROLES, "now": now, "error": error,
                                                "typed": typed or {"name": "", "role": "operator", "language": "fa"},
                                                "agencies": gateway_of(request).catalogue.agencies,
                                                "min_password": MIN_PASSWORD, "max_password": MAX_PASSWORD}, status=status)


@requires("admin", scope=NATIONAL)
async def users_page(request: web.Request) -> web.StreamResponse:
    """Every account with its role, language and whether it is locked or disabled; a form to add one."""
    return await _users_page(request)


@requires("admin", scope=NATIONAL)
async def user_create(request: web.Request) -> web.StreamResponse:
    """Add an account with an initial password the admin hands over."""
    form = await read_form(request)
    typed = {key: str(form.get(key, ""))[:64] for key in ("name", "role", "language")}
    try:
        name = _field(form, "name", "admin.name", request, limit=32)
        role = _field(form, "role", "admin.role", request, choices=ROLES)
        language = _field(form, "language", "admin.language", request, choices=LANGUAGES)
        password = _field(form, "password", "admin.password", request, limit=MAX_PASSWORD, strip=False)
        await request.config_dict[USERS].create(name, role, password, actor=signed_in(request).user.actor, language=language)
    except (FieldError, UserError) as error:
        return await _users_page(request, error=str(error), typed=typed, status=400)
    return see_other(f"/console/users/{name}?saved=1")


async def _user_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    user = await request.config_dict[USERS].named(request.match_info["name"][:64])
    if user is None:
        raise web.HTTPNotFound(reason=speaker(request).t("admin.no_user"))
    return render(request, "admin_user.html", {"user": user, "roles": ROLES, "now": gateway_of(request).requests.clock(), "error": error,
                                               "agencies": gateway_of(request).catalogue.agencies,
                                               "saved": request.query.get("saved") == "1", "min_password": MIN_PASSWORD,
                                               "max_password": MAX_PASSWORD}, status=status)


@requires("admin", scope=NATIONAL)
async def user_page(request: web.Request) -> web.StreamResponse:
    """One account: change its role, disable or enable it, unlock it, reset its password."""
    return await _user_page(request)


@requires("admin", scope=NATIONAL)
async def user_change(request: web.Request) -> web.StreamResponse:
    """One change to an account (the form's `do`: role, agencies, disable, enable, unlock, password), audited;
    refused for one's own account where it would lock oneself out."""
    form = await read_form(request)
    name = request.match_info["name"][:64]
    users, me = request.config_dict[USERS], signed_in(request).user
    action = str(form.get("do", ""))
    try:
        if action == "role":
            role = _field(form, "role", "admin.role", request, choices=ROLES)
            if name == me.name and role != me.role:
                raise NotYourself(speaker(request).t("admin.not_yourself"))
            await users.change(name, actor=me.actor, role=role)
        elif action in ("disable", "enable"):
            if name == me.name and action == "disable":
                raise NotYourself(speaker(request).t("admin.not_yourself"))
            await users.change(name, actor=me.actor, disabled=action == "disable")
        elif action == "unlock":
            await users.change(name, actor=me.actor, unlock=True)
        elif action == "agencies":
            chosen = [str(a) for a in form.getall("agency", [])]
            if name == me.name and chosen:  # a scoped admin could not reach this page again
                raise NotYourself(speaker(request).t("admin.not_yourself"))
            await users.change(name, actor=me.actor, agencies=chosen or None)
        elif action == "password":
            password = _field(form, "password", "admin.new_password", request, limit=MAX_PASSWORD, strip=False)
            await users.reset_password(name, password, actor=me.actor)
        else:
            raise web.HTTPBadRequest(reason="do: use one of role, agencies, disable, enable, unlock, password")
    except (FieldError, UserError) as error:
        return await _user_page(request, error=str(error), status=409 if isinstance(error, NotYourself) else 400)
    return see_other(f"/console/users/{name}?saved=1")


def setup(console: web.Application) -> None:
    """Add the outbox, payments, tokens and users pages."""
    console.router.add_get("/outbox", outbox_list)
    console.router.add_get("/outbox/{id}", message)
    console.router.add_post("/outbox/{id}/retry", retry)
    console.router.add_get("/payments", payments_page)
    console.router.add_post("/payments/repair", payments_repair)
    console.router.add_get("/tokens", tokens_page)
    console.router.add_post("/tokens", token_create)
    console.router.add_get("/tokens/{id}/revoke", token_revoke_form)
    console.router.add_post("/tokens/{id}/revoke", token_revoke)
    console.router.add_get("/users", users_page)
    console.router.add_post("/users", user_create)
    console.router.add_get("/users/{name}", user_page)
    console.router.add_post("/users/{name}", user_change)
