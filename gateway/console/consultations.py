"""The console's consultations pages: the polls with their state and turnout, a form to open one, and
one poll's results per option and channel (a bar table drawn in SVG: the CSP allows no inline styles,
and SVG's own `width` attributes are not styles), with a button to close it early.

Everything goes through the poll service the API uses (gateway.consultations), so a poll the console
opens passes the same checks (texts in every language, 2 to 9 options, its USSD screen fits a page)
and lands in the audit trail as `consultation.opened` / `consultation.closed` under the user's name.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway.console.i18n import Texts
from gateway.console.web import TIMEZONE, NavItem, gateway_of, read_form, render, requires, scope_of_page, see_other, signed_in, speaker
from gateway.consultations.service import CHANNELS, MAX_OPTIONS, PollError, PollNotFound, PollService
from gateway.consultations.store import Poll
from gateway.scopes import AGENCY

PAGE = 50
BAR = 200
"""Width of the longest bar, in SVG user units (the SVG scales to the cell)."""
NAV = (NavItem("/console/consultations", "consult.title", "viewer"),)
TEXTS: Texts = {
    "consult.title": {"fa": "نظرسنجی‌ها", "en": "Consultations"},
    "consult.new": {"fa": "نظرسنجی تازه", "en": "New consultation"},
    "consult.id": {"fa": "شماره", "en": "No."},
    "consult.question": {"fa": "پرسش", "en": "Question"},
    "consult.question_in": {"fa": "پرسش ({language})", "en": "Question ({language})"},
    "consult.option_in": {"fa": "گزینهٔ {n} ({language})", "en": "Option {n} ({language})"},
    "consult.options": {"fa": "گزینه‌ها", "en": "Options"},
    "consult.options_help": {"fa": "دو تا نه گزینه؛ ردیف‌های خالی کنار گذاشته می‌شوند. پرسش و گزینه‌ها باید در یک صفحهٔ USSD بگنجند.",
                             "en": "Two to nine options; empty rows are left out. The question and its options must fit one USSD page."},
    "consult.opens": {"fa": "آغاز", "en": "Opens"},
    "consult.closes": {"fa": "پایان", "en": "Closes"},
    "consult.opens_help": {"fa": "خالی: همین حالا", "en": "Empty: now"},
    "consult.audience": {"fa": "مخاطبان", "en": "Audience"},
    "consult.everyone": {"fa": "همه", "en": "Everyone"},
    "consult.users_of": {"fa": "کسانی که «{service}» را درخواست کرده‌اند", "en": "People who requested “{service}”"},
    "consult.state": {"fa": "وضعیت", "en": "State"},
    "consult.state.scheduled": {"fa": "در انتظار آغاز", "en": "scheduled"},
    "consult.state.open": {"fa": "باز", "en": "open"},
    "consult.state.closed": {"fa": "بسته", "en": "closed"},
    "consult.votes": {"fa": "پاسخ‌ها", "en": "Answers"},
    "consult.total": {"fa": "همه", "en": "Total"},
    "consult.option": {"fa": "گزینه", "en": "Option"},
    "consult.bar": {"fa": "نمودار", "en": "Chart"},
    "consult.bar_label": {"fa": "{option}: {votes} پاسخ", "en": "{option}: {votes} answers"},
    "consult.channel.ussd": {"fa": "USSD", "en": "USSD"},
    "consult.channel.sms": {"fa": "پیامک", "en": "SMS"},
    "consult.channel.telegram": {"fa": "بات", "en": "Bot"},
    "consult.open": {"fa": "گشودن نظرسنجی", "en": "Open the consultation"},
    "consult.opened": {"fa": "نظرسنجی گشوده شد.", "en": "The consultation is open."},
    "consult.close": {"fa": "بستن همین حالا", "en": "Close it now"},
    "consult.closed_now": {"fa": "نظرسنجی بسته شد؛ پاسخ‌ها می‌مانند.", "en": "The consultation is closed; its answers stay."},
    "consult.none": {"fa": "هنوز نظرسنجی‌ای نیست.", "en": "No consultations yet."},
    "consult.by": {"fa": "گشوده به دست", "en": "Opened by"},
    "consult.closed_by": {"fa": "بسته به دست", "en": "Closed by"},
    "consult.back": {"fa": "بازگشت به فهرست", "en": "Back to the list"},
    "consult.how": {"fa": "شهروندان از منوی USSD (گزینهٔ «نظر»)، پیامک «نظر {id} شماره‌گزینه» یا دکمه‌های بات (/polls) پاسخ می‌دهند؛ "
                          "هر شماره تلفن یک بار.",
                    "en": "Citizens answer from the USSD menu (Consultations), by SMS “POLL {id} <option>” or with the bot's buttons (/polls); "
                          "once per phone number."},
    "consult.bad_time": {"fa": "تاریخ و ساعت را کامل بنویسید", "en": "give a whole date and time"},
    "consult.no_poll": {"fa": "چنین نظرسنجی‌ای نیست.", "en": "There is no such consultation."},
    "consult.everyone_national": {"fa": "نظرسنجی همگانی از آن همهٔ دستگاه‌هاست؛ یکی از خدمت‌های خود را برگزینید.",
                                  "en": "A consultation for everyone belongs to every agency; choose one of your services."},
}
FIELDS = ("question", "options", "opens_at", "closes_at", "audience_service")


def _polls(request: web.Request) -> PollService:
    return gateway_of(request).polls


def _services(request: web.Request) -> list[tuple[str, str]]:
    """(id, title) of the services citizens request, for the audience choice."""
    lang = signed_in(request).user.language
    scope = scope_of_page(request)
    return [(s.id, s.title.get(lang) or s.id) for s in gateway_of(request).catalogue.services if s.inputs and scope.sees_service(s.id)]


def _moment(request: web.Request, value: str, field: str) -> float | None:
    """A `datetime-local` value in the console's time zone as a Unix time; None when empty."""
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise PollError(field, speaker(request).t("consult.bad_time")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=request.config_dict[TIMEZONE])
    return moment.timestamp()


@requires("viewer", scope=AGENCY)
async def list_page(request: web.Request) -> web.StreamResponse:
    """The polls, newest first, with their state and how many answered."""
    polls = _polls(request)
    found, total = await polls.page(PAGE, 0, scope_of_page(request).services)
    rows = [{"poll": p, "state": p.state(polls.clock()), "votes": (await polls.results(p))["total"]} for p in found]
    return render(request, "consultations_list.html", {"rows": rows, "total": total})


def _typed(form: Mapping[str, Any], languages: tuple[str, ...]) -> dict[str, str]:
    names = [f"question_{lang}" for lang in languages] + [f"option{n}_{lang}" for n in range(1, MAX_OPTIONS + 1) for lang in languages]
    return {name: str(form.get(name, ""))[:400] for name in [*names, "opens_at", "closes_at", "audience_service"]}


async def _form_page(request: web.Request, typed: Mapping[str, str], *, error: str | None = None, status: int = 200) -> web.Response:
    return render(request, "consultations_new.html", {"typed": typed, "error": error, "poll_languages": _polls(request).languages,
                                                      "numbers": range(1, MAX_OPTIONS + 1), "services": _services(request)},
                  status=status)


@requires("operator", scope=AGENCY)
async def new_page(request: web.Request) -> web.StreamResponse:
    """The form to open a poll."""
    return await _form_page(request, _typed({}, _polls(request).languages))


@requires("operator", scope=AGENCY)
async def create(request: web.Request) -> web.StreamResponse:
    """Open a poll; a refused one is shown again with what was typed and the field that is wrong (422)."""
    form = await read_form(request)
    polls = _polls(request)
    languages = polls.languages
    typed = _typed(form, languages)
    rows = [{lang: typed[f"option{n}_{lang}"] for lang in languages} for n in range(1, MAX_OPTIONS + 1)]
    options = [row for row in rows if any(text.strip() for text in row.values())]
    try:
        _in_scope(request, typed["audience_service"])
        closes_at = _moment(request, typed["closes_at"], "closes_at")
        if closes_at is None:
            raise PollError("closes_at", speaker(request).t("consult.bad_time"))
        new = polls.checked({lang: typed[f"question_{lang}"] for lang in languages}, options,
                            _moment(request, typed["opens_at"], "opens_at"), closes_at, typed["audience_service"] or None)
    except PollError as error:
        return await _form_page(request, typed, error=str(error), status=422)
    poll = await polls.open(new, signed_in(request).user.actor)
    return see_other(f"/console/consultations/{poll.id}?opened=1")


def _in_scope(request: web.Request, audience: str) -> None:
    """A scoped user opens polls for its own services only: another agency's service is unknown to it (as in its
    lists), and a poll for everyone is every agency's (PollError naming the field)."""
    scope = scope_of_page(request)
    if scope.national:
        return
    if not audience:
        raise PollError("audience_service", speaker(request).t("consult.everyone_national"))
    if not scope.sees_service(audience):
        raise PollError("audience_service", f"no service has id {audience}")


async def _poll(request: web.Request) -> Poll:
    raw = request.match_info["id"]
    poll = await _polls(request).get(int(raw)) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
    if poll is None or (poll.audience_service is not None and not scope_of_page(request).sees_service(poll.audience_service)):
        raise web.HTTPNotFound(reason=speaker(request).t("consult.no_poll"))
    return poll


def bars(results: Mapping[str, Any]) -> list[int]:
    """Each option's bar length, the most answered one `BAR` long (none when nobody answered)."""
    most = max((o["votes"] for o in results["options"]), default=0)
    return [round(BAR * o["votes"] / most) if most else 0 for o in results["options"]]


@requires("viewer", scope=AGENCY)
async def poll_page(request: web.Request) -> web.StreamResponse:
    """A poll's results: per option its answers by channel and a bar; closing it (operators)."""
    poll = await _poll(request)
    polls = _polls(request)
    results = await polls.results(poll)
    services = dict(_services(request))
    return render(request, "consultations_poll.html", {
        "poll": poll, "state": poll.state(polls.clock()), "results": results, "bars": bars(results), "bar_max": BAR,
        "channels": CHANNELS, "service": services.get(poll.audience_service or "", poll.audience_service),
        "notice": "consult.opened" if request.query.get("opened") == "1" else "consult.closed_now" if request.query.get("closed") == "1" else None,
    })


@requires("operator", scope=AGENCY)
async def close(request: web.Request) -> web.StreamResponse:
    """End a poll now (audited); its answers stay."""
    poll = await _poll(request)
    await read_form(request)
    if poll.audience_service is None and not scope_of_page(request).national:
        raise web.HTTPForbidden(reason=speaker(request).t("consult.everyone_national"))
    try:
        await _polls(request).close(poll.id, signed_in(request).user.actor)
    except PollNotFound:
        raise web.HTTPNotFound(reason=speaker(request).t("consult.no_poll")) from None
    return see_other(f"/console/consultations/{poll.id}?closed=1")


def setup(console: web.Application) -> None:
    """Add the consultations pages."""
    console.router.add_get("/consultations", list_page)
    console.router.add_get("/consultations/new", new_page)
    console.router.add_post("/consultations", create)
    console.router.add_get("/consultations/{id}", poll_page)
    console.router.add_post("/consultations/{id}/close", close)
