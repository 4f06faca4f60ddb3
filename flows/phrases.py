"""The engine's own words (navigation, errors), in every shipped language."""

from __future__ import annotations

from flows.texts import LocalisedText

BACK: LocalisedText = {"fa": "بازگشت", "en": "Back"}
HOME: LocalisedText = {"fa": "خانه", "en": "Home"}
MORE: LocalisedText = {"fa": "بیشتر", "en": "More"}
CONTINUE: LocalisedText = {"fa": "ادامه", "en": "Continue"}
MOVED: LocalisedText = {"fa": "این بخش تغییر کرده است.", "en": "This menu has changed."}
"""Above the screen a citizen is moved to when the one they were on no longer exists (an operator's edit)."""
INVALID_CHOICE: LocalisedText = {"fa": "گزینه نامعتبر است.", "en": "Invalid choice."}
TOO_MANY_TRIES: LocalisedText = {  # said on every channel: "dial again" would be wrong on SMS and bots
    "fa": "تعداد تلاش‌های نادرست زیاد شد. لطفا از نو شروع کنید.",
    "en": "Too many invalid tries. Please start again.",
}
UNAVAILABLE: LocalisedText = {
    "fa": "این خدمت اکنون در دسترس نیست. لطفا بعدا تلاش کنید.",
    "en": "This service is unavailable right now. Please try later.",
}
