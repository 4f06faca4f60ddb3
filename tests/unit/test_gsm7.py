from hypothesis import given
from hypothesis import strategies as st

from flows.gsm7 import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SMS_MULTIPART,
    SMS_SINGLE,
    SmsEncoding,
    fits_ussd,
    gsm7_length,
    is_gsm7,
    sms_encoding,
    split_sms,
    ucs2_length,
    ussd_budget_used,
)

GSM_TEXT = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=600)
ANY_TEXT = st.text(
    alphabet=st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION) + list("سلام دنیا ۱۲ 😀🇮🇷")),
    max_size=400,
)


def test_extension_characters_cost_two_septets():
    assert gsm7_length("a{b}") == 6
    assert gsm7_length("€") == 2
    assert gsm7_length("\f") == 2


def test_escape_character_itself_is_not_sendable_text():
    assert not is_gsm7("\x1b")


def test_persian_and_emoji_are_not_gsm7():
    assert is_gsm7("Hello @£$ {x}")
    assert not is_gsm7("سلام")
    assert not is_gsm7("ok 😀")


def test_ucs2_length_counts_surrogate_pairs_as_two():
    assert ucs2_length("سلام") == 4
    assert ucs2_length("😀") == 2


def test_ussd_limit_depends_on_encoding():
    assert ussd_budget_used("a" * 10) == (10, 182)
    assert ussd_budget_used("a" * 10 + "س") == (11, 80)
    assert ussd_budget_used("[x]", gsm_limit=100, ucs2_limit=40) == (5, 100)


def test_one_persian_letter_makes_a_long_latin_page_too_big():
    assert fits_ussd("a" * 182)
    assert not fits_ussd("a" * 183)
    assert fits_ussd("س" * 80)
    assert not fits_ussd("a" * 80 + "س")


def test_single_sms_limits():
    assert sms_encoding("a" * 160) == SmsEncoding("gsm7", 1, 160)
    assert sms_encoding("a" * 161) == SmsEncoding("gsm7", 2, 161)
    assert sms_encoding("س" * 70) == SmsEncoding("ucs2", 1, 70)
    assert sms_encoding("س" * 71) == SmsEncoding("ucs2", 2, 71)


def test_multipart_sms_uses_smaller_segments():
    assert sms_encoding("a" * 306).segments == 2
    assert sms_encoding("a" * 307).segments == 3
    assert sms_encoding("س" * 134).segments == 2
    assert sms_encoding("س" * 135).segments == 3
    assert sms_encoding("").segments == 1


def test_short_sms_is_one_part():
    assert split_sms("سلام") == ["سلام"]


def test_split_prefers_whitespace():
    text = ("word " * 40).strip()  # 199 septets
    parts = split_sms(text)
    assert len(parts) == 2
    assert parts[0].endswith(" ")
    assert "".join(parts) == text


def test_split_never_separates_an_emoji_or_escape_pair_at_the_boundary():
    persian = "س" * 66 + "😀" + "س" * 10  # the emoji would straddle unit 67
    assert split_sms(persian)[0] == "س" * 66
    latin = "a" * 152 + "€" + "a" * 10  # the euro would straddle septet 153
    assert split_sms(latin)[0] == "a" * 152


def _fits_segment(part: str, coding: str, parts: int) -> bool:
    room = SMS_SINGLE[coding] if parts == 1 else SMS_MULTIPART[coding]
    length = gsm7_length(part) if coding == "gsm7" else ucs2_length(part)
    return length <= room


@given(st.one_of(GSM_TEXT, ANY_TEXT))
def test_split_parts_join_back_and_each_fits_a_segment(text):
    coding = sms_encoding(text).coding
    parts = split_sms(text)
    assert "".join(parts) == text
    assert all(part for part in parts) or parts == [""]
    for part in parts:
        assert _fits_segment(part, coding, len(parts))
        last_unit = int.from_bytes(part.encode("utf-16-le")[-2:] or b"\0\0", "little")
        assert not 0xD800 <= last_unit <= 0xDBFF
        if coding == "gsm7":
            assert is_gsm7(part)  # ends on a whole character, never a bare ESC


@given(st.one_of(GSM_TEXT, ANY_TEXT))
def test_split_uses_no_more_than_twice_the_minimum_parts(text):
    assert len(split_sms(text)) <= 2 * sms_encoding(text).segments
