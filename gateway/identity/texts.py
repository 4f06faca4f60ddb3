"""What citizens read about the identity check, in every shipped language.

Screens (`WAITING`, `NO_MATCH`, `LIMIT`, `SHARE_NUMBER`) are flow nodes' texts, each within one Persian USSD
page; messages (`LATE_*`) go through the outbox to the citizen's channel (SMS for USSD) once the
background retry has an answer, each within one SMS part in Persian.
"""

from __future__ import annotations

from flows.normalise import to_persian_digits
from flows.texts import LocalisedText, pick

WAITING: LocalisedText = {
    "fa": "استعلام هویت الان پاسخ نمی‌دهد. پاسخ‌هایتان ذخیره شد و نتیجه را می‌فرستیم.",
    "en": "The identity check is not answering now. Your answers are kept; we will send you the result.",
}
"""The provider is down: nothing is lost, and the citizen need not do anything."""
NO_MATCH: LocalisedText = {
    "fa": "این شماره همراه به نام این کد ملی نیست؛ درخواست ثبت نشد.",
    "en": "This mobile number is not registered to that national code, so nothing was submitted.",
}
LIMIT: LocalisedText = {
    "fa": "ثبت نشد: سقف استعلام امروز پر شد. فردا بفرستید.",
    "en": "This number has had all its identity checks for today, so nothing was submitted. Please try again tomorrow.",
}
"""The number has had `identity.max_checks_per_day` checks today: the answers stay (`0` goes back to them).
With the SMS menu's `۰. بازگشت  ۰۰. خانه` line the Persian screen is one SMS part (70 UCS-2 units), and one USSD page."""
SHARE_NUMBER: LocalisedText = {
    "fa": "برای استعلام هویت، دکمه «ارسال شماره تلفن من» را بزنید و سپس ۱ را بفرستید.",
    "en": "To check your identity we need your number: tap “Share my phone number”, then send 1.",
}
"""On a bot whose chat has not shared its verified number yet (USSD and SMS always know it)."""
LATE_NO_MATCH: LocalisedText = {
    "fa": "«{service}» ثبت نشد: این شماره همراه به نام کد ملی واردشده نیست.",
    "en": "Your request for {service} was not submitted: this mobile number is not registered to the national code you gave.",
}
LATE_GAVE_UP: LocalisedText = {
    "fa": "استعلام هویت برای «{service}» ممکن نشد و ثبت نشد. لطفا دوباره درخواست دهید.",
    "en": "The identity check for {service} could not be done, so it was not submitted. Please apply again.",
}


def late_message(text: LocalisedText, service_title: str, lang: str) -> str:
    """A message sent after the check, with the service's title; Persian digits in Persian."""
    message = pick(text, lang).replace("{service}", service_title)
    return to_persian_digits(message) if lang == "fa" else message
