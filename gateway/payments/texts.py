"""What citizens read about payments, fa and en: the link message, the receipt, the pay pages.

Messages are short (an SMS, Persian digits in Persian; URLs are left as they are).
"""

from __future__ import annotations

from flows.normalise import to_persian_digits
from flows.texts import LocalisedText, pick, substitute
from gateway.catalogue.flows import money

LINK_MESSAGE: LocalisedText = {
    "fa": "پیشخوان: پرداخت {amount} برای درخواست {code}:\n{url}\nاعتبار لینک: {hours} ساعت",
    "en": "Pishkhan: pay {amount} for request {code}:\n{url}\nThe link works for {hours} hours.",
}
LINK_BUTTON: LocalisedText = {"fa": "پرداخت {amount}", "en": "Pay {amount}"}
RECEIPT: LocalisedText = {
    "fa": "پیشخوان: پرداخت {amount} برای درخواست {code} انجام شد. شماره مرجع: {ref}",
    "en": "Pishkhan: payment of {amount} for request {code} received. Reference: {ref}",
}

PAGE: dict[str, LocalisedText] = {
    "title": {"fa": "پرداخت هزینه", "en": "Pay the fee"},
    "service": {"fa": "خدمت", "en": "Service"},
    "code": {"fa": "کد پیگیری", "en": "Tracking code"},
    "amount": {"fa": "مبلغ", "en": "Amount"},
    "pay": {"fa": "پرداخت {amount}", "en": "Pay {amount}"},
    "bank_note": {"fa": "به صفحه بانک ({provider}) می‌روید. اطلاعات کارت شما به ما نمی‌رسد.",
                  "en": "You will go to the bank's page ({provider}). We never see your card."},
    "continue": {"fa": "ادامه پرداخت در صفحه بانک", "en": "Continue at the bank"},
    "started": {"fa": "پرداخت آغاز شده است. اگر پرداخت کرده‌اید، تا چند دقیقه تایید و پیامک رسید ارسال می‌شود.",
                "en": "This payment has started. If you paid, it is confirmed within minutes and you get a receipt."},
    "paid": {"fa": "پرداخت انجام شد", "en": "Paid"},
    "ref": {"fa": "شماره مرجع", "en": "Reference"},
    "receipt_sent": {"fa": "رسید برای شما فرستاده شد.", "en": "A receipt has been sent to you."},
    "failed": {"fa": "پرداخت انجام نشد", "en": "The payment did not go through"},
    "failed_note": {"fa": "پولی از حساب شما کم نشده یا تا ۷۲ ساعت برمی‌گردد.",
                    "en": "No money was taken, or the bank returns it within 72 hours."},
    "expired": {"fa": "این لینک منقضی شده است", "en": "This link has expired"},
    "renew": {"fa": "ارسال لینک تازه", "en": "Send me a new link"},
    "renewed": {"fa": "لینک تازه برای شما فرستاده شد", "en": "A new link has been sent to you"},
    "renewed_note": {"fa": "لینک تازه را از پیامک یا بات باز کنید.", "en": "Open the new link from your SMS or bot."},
    "open_again": {"fa": "برای تلاش دوباره، لینک پیامک را دوباره باز کنید.", "en": "To try again, open the link from your message again."},
    "checking": {"fa": "در حال بررسی پرداخت", "en": "Checking your payment"},
    "checking_note": {"fa": "پاسخ بانک هنوز نرسیده است. نتیجه را با پیامک می‌فرستیم؛ دوباره پرداخت نکنید.",
                      "en": "The bank has not answered yet. We will send you the result; do not pay again."},
    "bank_down": {"fa": "درگاه بانک پاسخ نمی‌دهد. چند دقیقه دیگر دوباره تلاش کنید.",
                  "en": "The bank is not answering. Please try again in a few minutes."},
    "try_again": {"fa": "تلاش دوباره", "en": "Try again"},
    "closed": {"fa": "پرداخت این درخواست لازم نیست", "en": "No payment is needed for this request"},
    "language": {"fa": "English", "en": "فارسی"},
    "privacy": {"fa": "حریم خصوصی", "en": "Privacy"},
}
NOT_FOUND = "لینک پرداخت معتبر نیست. لینک پیامک را بررسی کنید.\nThis payment link is not valid. Check the link in your message."
STALE_FORM = "این صفحه کهنه است. لینک را دوباره باز کنید.\nThis page is out of date. Open the link again."

SANDBOX: dict[str, LocalisedText] = {
    "title": {"fa": "بانک آزمایشی", "en": "Sandbox bank"},
    "note": {"fa": "آزمایشی: پول واقعی جابه‌جا نمی‌شود.", "en": "Test only: no real money moves."},
    "pay": {"fa": "پرداخت", "en": "Pay"},
    "cancel": {"fa": "انصراف", "en": "Cancel"},
    "done": {"fa": "این پرداخت قبلا انجام یا لغو شده است.", "en": "This payment was already paid or cancelled."},
}


def fill(template: str, lang: str, **values: object) -> str:
    """Put values into a template; Persian digits in Persian (URLs untouched)."""
    text = substitute(template, values, lang)
    return to_persian_digits(text) if lang == "fa" else text


def link_message(amount: int, code: str, url: str, hours: int, lang: str) -> str:
    """The message that carries a payment link."""
    return fill(pick(LINK_MESSAGE, lang), lang, amount=money(amount, lang), code=code, url=url, hours=hours)


def link_button(amount: int, lang: str) -> str:
    """The label of a bot's URL button."""
    return fill(pick(LINK_BUTTON, lang), lang, amount=money(amount, lang))


def receipt(amount: int, code: str, ref: str, lang: str) -> str:
    """The message after a verified payment."""
    return fill(pick(RECEIPT, lang), lang, amount=money(amount, lang), code=code, ref=ref)


def page_text(key: str, lang: str, **values: object) -> str:
    """A string of the pay pages."""
    return fill(pick(PAGE[key], lang), lang, **values)


def sandbox_text(key: str, lang: str) -> str:
    """A string of the sandbox bank's page."""
    return pick(SANDBOX[key], lang)
