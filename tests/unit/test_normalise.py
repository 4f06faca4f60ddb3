from hypothesis import given
from hypothesis import strategies as st

from flows.normalise import ASCII_DIGITS, is_ascii_digits, normalise_input, to_persian_digits

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
ZWNJ = "\u200c"


def test_persian_and_arabic_indic_digits_become_ascii():
    assert normalise_input(PERSIAN) == "0123456789"
    assert normalise_input(ARABIC_INDIC) == "0123456789"


def test_arabic_yeh_and_kaf_become_persian_letters():
    assert normalise_input("علي كريمى") == "علی کریمی"


def test_bidi_marks_and_zero_width_spaces_are_removed():
    assert normalise_input("\u202b۰۹۱۲\u200f\u200e\u200b\ufeff\u2066۳۴\u2069\u202c") == "091234"


def test_zwnj_inside_a_word_is_kept():
    assert normalise_input(f"می{ZWNJ}خواهم") == f"می{ZWNJ}خواهم"


def test_zwnj_next_to_spaces_or_repeated_is_dropped():
    assert normalise_input(f"{ZWNJ}سلام{ZWNJ} {ZWNJ}دنیا{ZWNJ}") == "سلام دنیا"
    assert normalise_input(f"می{ZWNJ}{ZWNJ}خواهم") == f"می{ZWNJ}خواهم"


def test_whitespace_runs_collapse_and_ends_are_trimmed():
    assert normalise_input("  1 \t\n 2\u00a0 3 ") == "1 2 3"


@given(st.text())
def test_normalising_twice_changes_nothing(text):
    once = normalise_input(text)
    assert normalise_input(once) == once


@given(st.text(alphabet=PERSIAN + ARABIC_INDIC + "0123456789", min_size=1))
def test_digits_in_any_script_normalise_to_the_same_ascii_digits(digits):
    expected = "".join(str(int(c)) for c in digits)  # int() knows every script
    assert normalise_input(digits) == expected
    assert is_ascii_digits(normalise_input(digits))


@given(st.text())
def test_output_has_no_persian_or_arabic_digits_or_arabic_letters(text):
    assert not set(normalise_input(text)) & set(PERSIAN + ARABIC_INDIC + "يىك")


def test_ascii_digit_patterns_reject_persian_digits_that_backslash_d_would_accept():
    assert ASCII_DIGITS.fullmatch("۱۲۳") is None
    assert not is_ascii_digits("۱۲۳")
    assert not is_ascii_digits("")
    assert is_ascii_digits("0123")


def test_to_persian_digits_converts_digits_outside_urls_only():
    text = "Pay 1200 at https://pay.example/1200?x=3 by 12/05"
    assert to_persian_digits(text) == "Pay ۱۲۰۰ at https://pay.example/1200?x=3 by ۱۲/۰۵"


def test_to_persian_digits_leaves_latin_identifiers_as_written():
    text = "شناسه 131020000 (G2C) نسخه v2 ISO9001 کارمزد 160,000 کد 1405/09/09"
    assert to_persian_digits(text) == "شناسه ۱۳۱۰۲۰۰۰۰ (G2C) نسخه v2 ISO9001 کارمزد ۱۶۰,۰۰۰ کد ۱۴۰۵/۰۹/۰۹"


@given(st.text(alphabet="0123456789 abc", max_size=30))
def test_to_persian_digits_round_trips_through_normalise(text):
    assert normalise_input(to_persian_digits(text)) == normalise_input(text)
