"""The bot's own words (outside the flows), in every shipped language."""

from __future__ import annotations

from flows.texts import LocalisedText

MAIN_MENU: LocalisedText = {"fa": "منوی اصلی", "en": "Main menu"}
SHARE_PHONE: LocalisedText = {"fa": "📱 ارسال شماره تلفن من", "en": "📱 Share my phone number"}
MY_REQUESTS: LocalisedText = {"fa": "📋 درخواست‌های من", "en": "📋 My requests"}
INVITE: LocalisedText = {
    "fa": "برای دیدن درخواست‌هایی که با شماره خود (در USSD، پیامک یا همین ربات) ثبت کرده‌اید، "
          "دکمه «ارسال شماره تلفن من» را بزنید.",
    "en": "To see the requests you made with your number (on USSD, SMS or this bot), "
          "tap “Share my phone number”.",
}
NOT_YOUR_CONTACT: LocalisedText = {
    "fa": "فقط شماره خودتان را می‌توان تایید کرد. لطفا دکمه «ارسال شماره تلفن من» را بزنید.",
    "en": "Only your own number can be verified. Please tap “Share my phone number”.",
}
BAD_NUMBER: LocalisedText = {
    "fa": "این شماره قابل خواندن نبود. لطفا دوباره دکمه را بزنید.",
    "en": "That number could not be read. Please tap the button again.",
}
VERIFIED: LocalisedText = {"fa": "شماره {phone} تایید شد.", "en": "Your number {phone} is verified."}
NO_REQUESTS: LocalisedText = {"fa": "درخواستی با این شماره ثبت نشده است.", "en": "You have no requests yet."}
REQUESTS_HEADING: LocalisedText = {"fa": "درخواست‌های شما ({count}):", "en": "Your requests ({count}):"}
REQUEST_LINE: LocalisedText = {
    "fa": "• {code} — {service}\n  وضعیت: {status} · مهلت: {due}{late} · از {channel}",
    "en": "• {code} — {service}\n  Status: {status} · Due: {due}{late} · via {channel}",
}
LATE: LocalisedText = {"fa": " (با تاخیر)", "en": " (late)"}
CHANNEL: dict[str, LocalisedText] = {
    "ussd": {"fa": "USSD", "en": "USSD"},
    "sms": {"fa": "پیامک", "en": "SMS"},
    "telegram": {"fa": "ربات", "en": "bot"},
}
UNSUPPORTED: LocalisedText = {
    "fa": "فقط پیام متنی و دکمه‌ها را می‌توانم بخوانم. برای منو /start را بفرستید.",
    "en": "I can only read text and button presses. Send /start for the menu.",
}
UNKNOWN_COMMAND: LocalisedText = {
    "fa": "این فرمان را نمی‌شناسم. /start منو، /myrequests درخواست‌های من، /verify تایید شماره.",
    "en": "I do not know that command. /start menu, /myrequests your requests, /verify your number.",
}
STALE_MENU: LocalisedText = {
    "fa": "این منو قدیمی است؛ لطفا از آخرین پیام استفاده کنید.",
    "en": "This menu is out of date; please use the latest message.",
}
COMMANDS: dict[str, LocalisedText] = {
    "start": {"fa": "منوی اصلی", "en": "Main menu"},
    "myrequests": {"fa": "درخواست‌های من", "en": "My requests"},
    "verify": {"fa": "تایید شماره تلفن", "en": "Verify my phone number"},
    "polls": {"fa": "نظرسنجی‌ها", "en": "Consultations"},
    "privacy": {"fa": "حریم خصوصی", "en": "Privacy statement"},
    "mydata": {"fa": "اطلاعات من نزد پیشخوان", "en": "What Pishkhan keeps about me"},
}
"""Commands shown in the client's menu button (`pishkhan telegram set-webhook` registers them)."""
