"""What a rating looks like in a text, the SMS question within its segment budget, and the rating
buttons' callback data: the pure parts of the satisfaction survey."""

from __future__ import annotations

import pytest

from channels.telegram import decode_callback, decode_namespaced, encode_namespaced
from flows.gsm7 import sms_encoding
from gateway.feedback import texts
from gateway.feedback.settings import QUESTION
from gateway.feedback.sms import read_answer


@pytest.mark.parametrize(("text", "read"), [
    ("4", (4, None)), ("۵ برخورد خوب بود", (5, "برخورد خوب بود")), ("5. great", (5, "great")), ("  3  ", (3, None)),
    ("7", (7, None)), ("0", (0, None)), ("5great", (5, "great")),
    ("12345678901", None), ("1375/06/21", None), ("hello", None), ("STATUS 12345678901", None), ("", None),
])
def test_a_rating_is_one_or_two_digits_then_perhaps_a_comment(text: str, read: tuple[int, str | None] | None) -> None:
    assert read_answer(text) == read


def test_a_long_service_title_is_shortened_so_the_question_fits_its_segments() -> None:
    title = "صدور کارت هوشمند ملی برای نخستین بار با ارائه مدارک هویتی و عکس " * 3
    text = texts.question(QUESTION["fa"], title, "49136086263", texts.HOW_SMS, "fa", max_segments=3)
    assert sms_encoding(text).segments == 3 and "«صدور کارت هوشمند" in text and "…»" in text and "۴۹۱۳۶۰۸۶۲۶۳" in text
    assert "مثلا: ۵ برخورد خوب" in text                                   # the example kept: the title gave way
    tight = texts.question(QUESTION["fa"], title, "49136086263", texts.HOW_SMS, "fa", max_segments=2)
    assert sms_encoding(tight).segments == 2 and "…»" in tight and tight.endswith("از ۱ تا ۵ پاسخ دهید.")   # then the example
    assert texts.fits_sms(QUESTION["fa"], "fa", 2) and not texts.fits_sms(QUESTION["fa"], "fa", 1)
    whole = texts.question(QUESTION["en"], "Smart ID card", "49136086263", texts.HOW_BOT, "en")
    assert whole == "Pishkhan: how satisfied are you with Smart ID card (request 49136086263)?\nTap 1 (very poor) to 5 (excellent)."


def test_rating_buttons_carry_namespaced_data_that_menus_never_take() -> None:
    data = encode_namespaced("csat", 123456789012, 5)
    assert data == "csat:123456789012:5" and decode_namespaced(data) == ("csat", (123456789012, 5))
    assert decode_callback(data) is None and decode_namespaced("a1b2c3d4.1") is None and decode_namespaced("start") is None
    assert decode_namespaced("csat:1:x") is None and decode_namespaced("CSAT:1:2") is None
    with pytest.raises(ValueError):
        encode_namespaced("csat", -1)
