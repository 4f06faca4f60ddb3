"""What citizens read about their requests: receipts, status answers and notifications, fa and en.

Dates are Jalali with Persian digits in Persian and ISO in English; texts are short enough for an
SMS or a couple of USSD pages.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from flows.dates import format_jalali
from flows.graphemes import fitting_prefix
from flows.gsm7 import sms_encoding
from flows.normalise import to_persian_digits
from flows.texts import LocalisedText, pick
from gateway.catalogue.flows import money

STATUS: dict[str, LocalisedText] = {
    "submitted": {"fa": "ثبت شده", "en": "submitted"},
    "in_review": {"fa": "در حال بررسی", "en": "in review"},
    "needs_info": {"fa": "نیاز به اطلاعات بیشتر", "en": "needs more information"},
    "approved": {"fa": "تایید شده", "en": "approved"},
    "rejected": {"fa": "رد شده", "en": "rejected"},
    "delivered": {"fa": "تحویل شده", "en": "delivered"},
    "cancelled": {"fa": "لغو شده", "en": "cancelled"},
}
NEXT: dict[str, LocalisedText] = {
    "submitted": {"fa": "به زودی بررسی می‌شود.", "en": "It will be reviewed soon."},
    "in_review": {"fa": "کارشناس در حال بررسی است.", "en": "An officer is reviewing it."},
    "needs_info": {"fa": "اطلاعات خواسته‌شده را به دفتر پیشخوان بدهید.", "en": "Give the information asked for at a service office."},
    "approved": {"fa": "نتیجه به زودی تحویل می‌شود.", "en": "The result will be delivered soon."},
    "rejected": {"fa": "می‌توانید دوباره درخواست دهید یا شکایت کنید.", "en": "You may apply again or complain."},
    "delivered": {"fa": "پایان کار.", "en": "Completed."},
    "cancelled": {"fa": "این درخواست بسته شد.", "en": "This request is closed."},
}
PAYMENT: dict[str, LocalisedText] = {
    "none": {"fa": "پرداخت نشده", "en": "not paid"},
    "pending": {"fa": "در انتظار پرداخت", "en": "awaiting payment"},
    "paid": {"fa": "پرداخت شده", "en": "paid"},
    "failed": {"fa": "ناموفق؛ لینک تازه بخواهید", "en": "failed; ask for a new link"},
}
_W: dict[str, LocalisedText] = {
    "status": {"fa": "وضعیت", "en": "Status"},
    "since": {"fa": "تغییر", "en": "Changed"},
    "due": {"fa": "مهلت", "en": "Due"},
    "late": {"fa": "(با تاخیر)", "en": "(late)"},
    "next": {"fa": "بعدی", "en": "Next"},
    "note": {"fa": "توضیح", "en": "Note"},
    "fee": {"fa": "هزینه", "en": "Fee"},
    "payable": {"fa": "پرداختی", "en": "To pay"},
    "payment": {"fa": "پرداخت", "en": "Payment"},
}
RECEIPT_SMS: LocalisedText = {
    "fa": "پیشخوان: درخواست {service} ثبت شد. کد پیگیری {code}. مهلت پاسخ {due}. {fee}",
    "en": "Pishkhan: your {service} request is registered. Tracking code {code}. Answer due {due}. {fee}",
}
CHANGE_SMS: LocalisedText = {
    "fa": "پیشخوان: وضعیت درخواست {code}: {status}.{note} {next}",
    "en": "Pishkhan: request {code} status: {status}.{note} {next}",
}


def _fa(text: str, lang: str) -> str:
    return to_persian_digits(text) if lang == "fa" else text


def date_text(day: datetime.date, lang: str) -> str:
    """A date as the citizen reads it: Jalali in Persian digits, or ISO."""
    return to_persian_digits(format_jalali(day)) if lang == "fa" else day.isoformat()


def localised_date(day: datetime.date, languages: tuple[str, ...]) -> dict[str, str]:
    """A date in every language, as a flow variable."""
    return {lang: date_text(day, lang) for lang in languages}


def fee_text(fee: int, lang: str) -> str:
    """`To pay: 150,000 rials`, or `Fee: free`; short, because it ends an 80-character USSD receipt."""
    return f"{pick(_W['payable'] if fee else _W['fee'], lang)}: {money(fee, lang)}"


def receipt_sms(code: str, service_title: str, due: datetime.date, fee: int, lang: str) -> str:
    """The receipt sent by SMS after a USSD submission (USSD sessions drop; the SMS stays)."""
    text = pick(RECEIPT_SMS, lang)
    for key, value in (("service", service_title), ("code", code), ("due", date_text(due, lang)), ("fee", fee_text(fee, lang))):
        text = text.replace("{" + key + "}", value)
    return _fa(text, lang)


def change_sms(code: str, status: str, reason: str | None, lang: str, max_segments: int | None = None) -> str:
    """The notification of a status change, with the reason when there is one. Within `max_segments`
    SMS parts (an aggregator sends no more: Kannel's `max-messages`) a long reason is shortened with
    `…`; the whole of it stays a `STATUS <code>` away."""
    text = pick(CHANGE_SMS, lang)
    for key, value in (("code", code), ("status", pick(STATUS[status], lang)), ("next", pick(NEXT[status], lang))):
        text = text.replace("{" + key + "}", value)

    def with_note(shown: str | None) -> str:
        return _fa(text.replace("{note}", f" {pick(_W['note'], lang)}: {shown}" if shown else ""), lang)

    return within_segments(with_note, reason, max_segments)


def within_segments(compose: Callable[[str | None], str], note: str | None, max_segments: int | None) -> str:
    """`compose(note)`, the note shortened with `…` when the whole would take more than `max_segments` SMS parts."""
    if not note or max_segments is None or sms_encoding(compose(note)).segments <= max_segments:
        return compose(note)
    keep = fitting_prefix(note, lambda part: sms_encoding(compose(part.rstrip() + "…")).segments <= max_segments)
    return compose(note[:keep].rstrip() + "…")


def status_lines(
    *,
    status: str,
    changed: datetime.date,
    due: datetime.date,
    late: bool,
    lang: str,
    service_title: str | None = None,
    reason: str | None = None,
    payment: str | None = None,
) -> str:
    """The answer to a status lookup (the citizen has just typed the code, so it is not repeated:
    Persian USSD pages hold 80 characters); the title and reason only for the requester themselves,
    the payment state (`payment`, None for a free service) for anyone: it says nothing personal."""
    w = {k: pick(v, lang) for k, v in _W.items()}
    lines = [f"{w['status']}: {pick(STATUS[status], lang)}"]
    if service_title:
        lines.append(service_title)
    lines.append(f"{w['since']}: {date_text(changed, lang)}")
    lines.append(f"{w['due']}: {date_text(due, lang)}" + (f" {w['late']}" if late else ""))
    if reason:
        lines.append(f"{w['note']}: {reason}")
    if payment in PAYMENT:
        lines.append(f"{w['payment']}: {pick(PAYMENT[payment], lang)}")
    lines.append(f"{w['next']}: {pick(NEXT[status], lang)}")
    return _fa("\n".join(lines), lang)
