"""What citizens read about their complaints and suggestions: the receipt, the outcome and the status
answer, fa and en (Persian digits in Persian); SMS texts kept within `sms.max_segments` parts."""

from __future__ import annotations

import datetime

from flows.normalise import to_persian_digits
from flows.texts import LocalisedText, pick
from gateway.requests.texts import date_text, within_segments

KIND: dict[str, LocalisedText] = {
    "complaint": {"fa": "شکایت", "en": "Complaint"},
    "suggestion": {"fa": "پیشنهاد", "en": "Suggestion"},
}
STATUS: dict[str, LocalisedText] = {
    "filed": {"fa": "ثبت شده", "en": "filed"},
    "in_review": {"fa": "در حال بررسی", "en": "in review"},
    "answered": {"fa": "پاسخ داده شد", "en": "answered"},
    "rejected": {"fa": "رد شد", "en": "rejected"},
    "closed": {"fa": "بسته شد", "en": "closed"},
}
NOTE: dict[str, LocalisedText] = {
    "answered": {"fa": "پاسخ", "en": "Answer"},
    "rejected": {"fa": "دلیل", "en": "Reason"},
}
"""What the text the citizen is sent is called, by the status that sent it."""
_W: dict[str, LocalisedText] = {
    "filed": {"fa": "ثبت", "en": "Filed"},
    "due": {"fa": "مهلت پاسخ", "en": "Answer due"},
    "late": {"fa": "(با تاخیر)", "en": "(late)"},
    "request": {"fa": "درخواست", "en": "request"},
}
RECEIPT_SMS: LocalisedText = {
    "fa": "پیشخوان: {kind} شما درباره {subject} ثبت شد. کد پیگیری {code}. مهلت پاسخ {due}.",
    "en": "Pishkhan: your {kind} about {subject} is registered. Tracking code {code}. Answer due {due}.",
}
OUTCOME_SMS: LocalisedText = {
    "fa": "پیشخوان: {kind} {code} {status}. {note}: {text}",
    "en": "Pishkhan: {kind} {code} {status}. {note}: {text}",
}


def _fill(template: str, lang: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return to_persian_digits(template) if lang == "fa" else template


def kind_word(kind: str, lang: str) -> str:
    """`complaint` or `suggestion` inside a sentence (lower case in English)."""
    word = pick(KIND[kind], lang)
    return word.lower() if lang == "en" else word


def subject_text(service_title: str, request_code: str | None, lang: str) -> str:
    """What a complaint is about: the service, and the request by its code when it names one."""
    return f"{service_title} ({pick(_W['request'], lang)} {request_code})" if request_code else service_title


def receipt_sms(kind: str, code: str, subject: str, due: datetime.date, lang: str) -> str:
    """The receipt sent by SMS after filing over USSD (the session ends; the SMS keeps the code)."""
    return _fill(pick(RECEIPT_SMS, lang), lang, kind=kind_word(kind, lang), subject=subject, code=code, due=date_text(due, lang))


def outcome_sms(kind: str, code: str, status: str, answer: str, lang: str, max_segments: int | None) -> str:
    """The outcome (answered or rejected) with its text, shortened with `…` past `max_segments` parts:
    the whole of it stays a lookup of the code away."""
    def compose(shown: str | None) -> str:
        return _fill(pick(OUTCOME_SMS, lang), lang, kind=kind_word(kind, lang), code=code, status=pick(STATUS[status], lang),
                     note=pick(NOTE[status], lang), text=shown or "")

    return within_segments(compose, answer, max_segments)


def status_lines(*, kind: str, status: str, filed: datetime.date, due: datetime.date, late: bool, lang: str,
                 subject: str | None = None, answer: str | None = None) -> str:
    """The answer to a lookup of a complaint's code; what it is about and its answer only for the complainant."""
    lines = [f"{pick(KIND[kind], lang)}: {pick(STATUS[status], lang)}"]
    if subject:
        lines.append(subject)
    lines.append(f"{pick(_W['filed'], lang)}: {date_text(filed, lang)}")
    lines.append(f"{pick(_W['due'], lang)}: {date_text(due, lang)}" + (f" {pick(_W['late'], lang)}" if late else ""))
    if answer and status in NOTE:
        lines.append(f"{pick(NOTE[status], lang)}: {answer}")
    elif answer and status == "closed":
        lines.append(f"{pick(NOTE['answered'], lang)}: {answer}")
    return to_persian_digits("\n".join(lines)) if lang == "fa" else "\n".join(lines)
