"""What the SMS channel itself says (keyword answers), in every shipped language."""

from __future__ import annotations

from flows.texts import LocalisedText

HELP: LocalisedText = {
    "fa": "پیشخوان {number}: هر پیامی بفرستید تا منو بیاید؛ شماره گزینه را بفرستید. "
          "۹۸ یا «بیشتر»: صفحه بعد، ۰: بازگشت، ۰۰: خانه. "
          "«وضعیت کد»: پیگیری درخواست. «لغو» یا ۱۱: قطع اطلاع‌رسانی، «شروع» یا ۱۲: وصل دوباره.",
    "en": "Pishkhan {number}: send any text for the menu, then an option's number. "
          "98 or MORE: next page, 0: back, 00: home. "
          "STATUS <code>: track a request. STOP or 11: no notifications, START or 12: notifications again.",
}
STATUS_USAGE: LocalisedText = {
    "fa": "کد پیگیری را بعد از «وضعیت» بفرستید، مثلا: وضعیت ۱۲۳۴۵۶۷۸۹۰۱",
    "en": "Send STATUS followed by your tracking code, e.g. STATUS 12345678901",
}
BAD_CODE: LocalisedText = {
    "fa": "کد {code} درست نیست. ارقام را دوباره بررسی کنید و «وضعیت کد» را بفرستید.",
    "en": "{code} is not a valid tracking code. Check the digits and send STATUS <code> again.",
}
NOT_FOUND: LocalisedText = {
    "fa": "درخواستی با کد {code} پیدا نشد.",
    "en": "No request has tracking code {code}.",
}
TOO_MANY: LocalisedText = {
    "fa": "تعداد جستجوها زیاد است. کمی بعد دوباره بفرستید.",
    "en": "Too many lookups. Please try again later.",
}
STATUS_OF: LocalisedText = {"fa": "درخواست {code}", "en": "Request {code}"}
STOPPED: LocalisedText = {
    "fa": "اطلاع‌رسانی پیشخوان به این شماره قطع شد. رسید و پاسخ درخواست‌های خودتان باز هم می‌آید. برای وصل دوباره «شروع» یا ۱۲ را بفرستید.",
    "en": "Pishkhan notifications to this number are off. Receipts and answers to your own requests still come. Send START or 12 to turn them on.",
}
STARTED: LocalisedText = {
    "fa": "اطلاع‌رسانی پیشخوان به این شماره وصل شد. برای راهنما «راهنما» را بفرستید.",
    "en": "Pishkhan notifications to this number are on. Send HELP for help.",
}
UNAVAILABLE: LocalisedText = {
    "fa": "پیگیری اکنون در دسترس نیست. لطفا بعدا تلاش کنید.",
    "en": "Tracking is not available right now. Please try later.",
}

