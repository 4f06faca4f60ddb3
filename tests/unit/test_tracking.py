import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.normalise import to_persian_digits
from flows.tracking import is_valid_tracking_code, new_tracking_code, verhoeff_check_digit

KNOWN_CODES = [p + verhoeff_check_digit(p) for p in ("123456789", "9876543210", "50000000000")]


def test_known_verhoeff_check_digits():
    # Worked examples from the Verhoeff literature (Wikipedia).
    assert verhoeff_check_digit("236") == "3"
    assert verhoeff_check_digit("12345") == "1"


def test_check_digit_needs_ascii_digits():
    with pytest.raises(ValueError):
        verhoeff_check_digit("۱۲۳")


@pytest.mark.parametrize("length", [10, 11, 12])
def test_new_codes_are_valid_with_no_leading_zero(length):
    for _ in range(200):
        code = new_tracking_code(length)
        assert len(code) == length
        assert code[0] != "0"
        assert is_valid_tracking_code(code)


@pytest.mark.parametrize("length", [9, 13])
def test_new_code_length_outside_ten_to_twelve_is_refused(length):
    with pytest.raises(ValueError):
        new_tracking_code(length)


def test_code_typed_in_persian_digits_is_valid():
    code = new_tracking_code()
    assert is_valid_tracking_code(to_persian_digits(code))


def test_codes_of_wrong_length_or_with_letters_are_invalid():
    nine = "12345678" + verhoeff_check_digit("12345678")
    thirteen = "123456789012" + verhoeff_check_digit("123456789012")
    assert not is_valid_tracking_code(nine)
    assert not is_valid_tracking_code(thirteen)
    assert not is_valid_tracking_code("12345a78901")


def _single_digit_errors(code: str):
    for i, digit in enumerate(code):
        for other in "0123456789":
            if other != digit:
                yield code[:i] + other + code[i + 1 :]


def _adjacent_transpositions(code: str):
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            yield code[:i] + code[i + 1] + code[i] + code[i + 2 :]


def test_exhaustive_mistypes_of_known_codes_are_caught():
    for code in KNOWN_CODES:
        assert is_valid_tracking_code(code)
        assert not any(is_valid_tracking_code(c) for c in _single_digit_errors(code))
        assert not any(is_valid_tracking_code(c) for c in _adjacent_transpositions(code))


@given(st.text(alphabet="0123456789", min_size=9, max_size=11))
def test_any_payload_with_its_check_digit_is_valid_and_any_mistype_is_not(payload):
    code = payload + verhoeff_check_digit(payload)
    assert is_valid_tracking_code(code)
    assert not any(is_valid_tracking_code(c) for c in _single_digit_errors(code))
    assert not any(is_valid_tracking_code(c) for c in _adjacent_transpositions(code))
