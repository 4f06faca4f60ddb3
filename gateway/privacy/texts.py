"""What citizens read about their own data, fa and en (Persian digits in Persian): short enough for a
couple of USSD pages or one SMS; the bots' version lists each request."""

from __future__ import annotations

from collections.abc import Callable

from flows.texts import LocalisedText, pick, say
from gateway.catalogue import Catalogue
from gateway.privacy.erasure import Erased
from gateway.privacy.stored import Stored
from gateway.requests.texts import STATUS

NO_PHONE: LocalisedText = {
    "fa": "فقط شماره‌ای که شبکه یا پیام‌رسان تایید کرده می‌تواند اطلاعات خود را ببیند. در بات، شماره خود را با /verify تایید کنید.",
    "en": "Only a number the network or the messenger verified can see its data. On a bot, verify your number with /verify.",
}
STORED: LocalisedText = {
    "fa": "برای این شماره نگه داشته‌ایم: {requests} درخواست با {personal} پاسخ شخصی، {payments} پرداخت، {complaints} شکایت، "
          "{surveys} نظر، {votes} رأی.{optout}",
    "en": "Kept for this number: {requests} requests with {personal} personal answers, {payments} payments, {complaints} complaints, "
          "{surveys} ratings, {votes} votes.{optout}",
}
OPTED_OUT: LocalisedText = {"fa": " اطلاع‌رسانی قطع است.", "en": " Notifications are off."}
BOT_CHATS: LocalisedText = {"fa": "{chats} گفتگوی بات به این شماره وصل است.", "en": "{chats} bot chats are linked to this number."}
REQUEST_LINE: LocalisedText = {
    "fa": "• {code} {service}: {status}، {personal} پاسخ شخصی",
    "en": "• {code} {service}: {status}, {personal} personal answers",
}
ERASE_HINT: LocalisedText = {
    "fa": "برای پاک کردن پاسخ‌های شخصی درخواست‌های تمام‌شده: راهنما، حریم خصوصی، پاک کردن.",
    "en": "To erase the personal answers of finished requests: Help, Privacy, Erase.",
}
NOTHING_TO_ERASE: LocalisedText = {
    "fa": "درخواست تمام‌شده‌ای با اطلاعات شخصی برای این شماره نیست.{open}",
    "en": "This number has no finished request with personal details.{open}",
}
STILL_OPEN: LocalisedText = {
    "fa": " {count} درخواست باز است و تا پایان آن نگه داشته می‌شود تا دستگاه بتواند پاسخ دهد.",
    "en": " {count} requests are still open and kept until they end, so the agency can answer them.",
}
ERASE_QUESTION: LocalisedText = {
    "fa": "پاسخ‌های شخصی {count} درخواست تمام‌شده برای همیشه پاک شود؟",
    "en": "Erase for good the personal answers of {count} finished requests?",
}
ERASED: LocalisedText = {
    "fa": "پاسخ‌های شخصی {count} درخواست پاک شد؛ کد، خدمت، تاریخ و وضعیت برای آمار می‌ماند.{open}",
    "en": "The personal answers of {count} requests are erased; code, service, dates and status stay for statistics.{open}",
}



def each_language(languages: tuple[str, ...], make: Callable[[str], str]) -> dict[str, str]:
    """A flow variable's value in every language (the engine picks the session's)."""
    return {lang: make(lang) for lang in languages}


def still_open(count: int, lang: str) -> str:
    """The sentence about open requests, or nothing when there are none."""
    return say(STILL_OPEN, lang, count=count) if count else ""


def brief(stored: Stored, lang: str) -> str:
    """USSD and SMS: the counts."""
    return say(STORED, lang, requests=stored.request_count, personal=sum(r.personal for r in stored.requests), payments=stored.payments,
               complaints=stored.complaints, surveys=stored.surveys, votes=stored.votes,
               optout=pick(OPTED_OUT, lang) if stored.opted_out else "")


def full(stored: Stored, catalogue: Catalogue, lang: str) -> str:
    """Bots: the counts, each request on its line, the linked chats and how to erase."""
    lines = [brief(stored, lang)]
    for request in stored.requests:
        service = catalogue.get(request.service_id)
        lines.append(say(REQUEST_LINE, lang, code=request.code, service=pick(service.label, lang) if service else request.service_id,
                         status=pick(STATUS.get(request.status, {lang: request.status}), lang), personal=request.personal))
    if stored.bot_chats:
        lines.append(say(BOT_CHATS, lang, chats=stored.bot_chats))
    lines.append(pick(ERASE_HINT, lang))
    return "\n".join(lines)


def erased(result: Erased, lang: str) -> str:
    """What asking to erase did."""
    return say(ERASED, lang, count=len(result.erased), open=still_open(len(result.still_open), lang))
