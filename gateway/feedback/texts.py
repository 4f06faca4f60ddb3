"""What citizens read about a satisfaction survey, in every shipped language: how to answer on each
channel, and the answers to their answers. The question itself is configured (`feedback.question`).

Persian texts show Persian digits; an SMS question stays within `sms.max_segments` parts by
shortening the service's title (the tracking code says which request it is)."""

from __future__ import annotations

from flows.graphemes import fitting_prefix
from flows.gsm7 import sms_encoding
from flows.texts import LocalisedText, pick, say

HOW_SMS: LocalisedText = {
    "fa": "از ۱ (خیلی بد) تا ۵ (عالی) پاسخ دهید؛ نظرتان را هم می‌توانید بنویسید، مثلا: ۵ برخورد خوب",
    "en": "Reply 1 (very poor) to 5 (excellent), with a comment if you like, e.g. 5 friendly staff",
}
HOW_SMS_SHORT: LocalisedText = {"fa": "از ۱ تا ۵ پاسخ دهید.", "en": "Reply 1 to 5."}
"""The instructions when the SMS budget (`sms.max_segments`) leaves no room for the example."""
HOW_BOT: LocalisedText = {
    "fa": "از ۱ (خیلی بد) تا ۵ (عالی) یکی را بزنید.",
    "en": "Tap 1 (very poor) to 5 (excellent).",
}
THANKS: LocalisedText = {
    "fa": "ممنون! امتیاز {rating} از ۵ شما ثبت شد.",
    "en": "Thank you! Your rating of {rating} out of 5 is recorded.",
}
THANKS_COMMENT: LocalisedText = {
    "fa": "ممنون! امتیاز {rating} از ۵ و نظر شما ثبت شد.",
    "en": "Thank you! Your rating of {rating} out of 5 and your comment are recorded.",
}
ALREADY: LocalisedText = {
    "fa": "امتیاز شما برای این درخواست پیش‌تر ثبت شده است ({rating} از ۵). ممنون!",
    "en": "You have already rated this request ({rating} out of 5). Thank you!",
}
CLOSED: LocalisedText = {
    "fa": "مهلت نظرسنجی این درخواست تمام شده و پاسخ شما ثبت نشد. ممنون از توجه شما.",
    "en": "The survey for this request has closed, so your answer was not recorded. Thank you all the same.",
}
OUT_OF_RANGE: LocalisedText = {
    "fa": "لطفا عددی از ۱ تا ۵ بفرستید، مثلا: ۴ یا ۴ برخورد خوب",
    "en": "Please send a number from 1 to 5, e.g. 4 or 4 friendly staff",
}
RATED: LocalisedText = {"fa": "امتیاز شما: {rating} از ۵", "en": "Your rating: {rating} out of 5"}
COMMENT_PROMPT: LocalisedText = {
    "fa": "ممنون! اگر نظری دارید، همین حالا بنویسید.",
    "en": "Thank you! If you would like to add a comment, send it now.",
}
COMMENT_SAVED: LocalisedText = {"fa": "نظر شما ثبت شد. ممنون!", "en": "Your comment is recorded. Thank you!"}


def question(template: str, service: str, code: str, how: LocalisedText, lang: str, max_segments: int | None = None) -> str:
    """The question with how to answer it. Within `max_segments` SMS parts (None: a bot message,
    unbounded) a long service title is shortened with `…`, and where even that is too long the
    instructions lose their example (HOW_SMS_SHORT). A template too long for the budget with neither
    (`fits_sms`, checked at start) is sent as short as it gets."""
    def text(title: str, instructions: LocalisedText) -> str:
        return say({lang: f"{template}\n{pick(instructions, lang)}"}, lang, service=title, code=code)

    if max_segments is None:
        return text(service, how)

    def fits(candidate: str) -> bool:
        return sms_encoding(candidate).segments <= max_segments

    def shortened(instructions: LocalisedText) -> str | None:
        if fits(text(service, instructions)):
            return text(service, instructions)
        if not fits(text("…", instructions)):
            return None
        keep = fitting_prefix(service, lambda part: fits(text(part.rstrip() + "…", instructions)))
        return text(service[:keep].rstrip() + "…", instructions)

    return shortened(how) or shortened(HOW_SMS_SHORT) or text("…", HOW_SMS_SHORT)


def fits_sms(template: str, lang: str, max_segments: int) -> bool:
    """Whether a question from `template` can be sent within `max_segments` parts (with a title of one character)."""
    return sms_encoding(say({lang: f"{template}\n{pick(HOW_SMS_SHORT, lang)}"}, lang, service="…", code="0" * 12)).segments <= max_segments
