import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.gsm7 import ucs2_length
from flows.normalise import to_persian_digits
from flows.tracking import new_tracking_code
from flows.validators import (
    VALIDATOR_TYPES,
    DateValidator,
    Validated,
    build_validator,
    is_valid_national_code,
)

KNOWN_NATIONAL_CODES = ["0499370899", "0790419904", "0084575948", "0067749828"]


def national_check_digit(nine: str) -> str:
    s = sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    return str(s if s < 2 else 11 - s)


def assert_rejected(result: Validated, en_contains: str) -> None:
    assert not result.ok
    assert result.value is None
    assert en_contains in result.error["en"]
    assert result.error["fa"]


# --- national_code -----------------------------------------------------------


@pytest.mark.parametrize("code", KNOWN_NATIONAL_CODES)
def test_known_national_codes_are_accepted(code):
    assert build_validator("national_code")(code) == Validated(ok=True, value=code)


def test_persian_digits_national_code_is_accepted():
    assert build_validator("national_code")("۰۴۹۹۳۷۰۸۹۹").value == "0499370899"


@pytest.mark.parametrize("raw", ["049937089", "04993708990", "04993-70899", "abc", ""])
def test_national_code_that_is_not_ten_digits_is_refused(raw):
    assert_rejected(build_validator("national_code")(raw), "10 digits")


def test_national_code_with_wrong_check_digit_is_refused():
    assert_rejected(build_validator("national_code")("0499370898"), "not valid")


@pytest.mark.parametrize("digit", "0123456789")
def test_national_code_of_one_repeated_digit_is_refused(digit):
    assert not is_valid_national_code(digit * 10)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1))
def test_nine_digits_with_their_check_digit_make_a_valid_national_code(nine):
    assert is_valid_national_code(nine + national_check_digit(nine))


@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.integers(0, 9),
    st.sampled_from("0123456789"),
)
def test_changing_one_digit_is_caught_unless_the_check_still_holds(nine, position, new_digit):
    code = nine + national_check_digit(nine)
    mutated = code[:position] + new_digit + code[position + 1 :]
    expected = len(set(mutated)) > 1 and mutated[9] == national_check_digit(mutated[:9])
    assert is_valid_national_code(mutated) is expected


# --- mobile ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["09121234567", "9121234567", "+989121234567", "00989121234567", "0912 123 4567", "۰۹۱۲۱۲۳۴۵۶۷"],
)
def test_iranian_mobile_in_any_usual_form_is_stored_as_e164(raw):
    assert build_validator("mobile")(raw) == Validated(ok=True, value="+989121234567")


def test_landline_is_refused_as_not_a_mobile():
    assert_rejected(build_validator("mobile")("02112345678"), "mobile number, like 0912")


@pytest.mark.parametrize("raw", ["0912", "hello", "", "+98912123456789"])
def test_garbage_phone_is_refused_with_an_example(raw):
    assert_rejected(build_validator("mobile")(raw), "not valid; send one like 09123456789")


def test_mobile_region_comes_from_params_or_default():
    uk = "07400123456"
    assert build_validator({"type": "mobile", "region": "GB"})(uk).value == "+447400123456"
    assert build_validator("mobile", default_region="GB")(uk).value == "+447400123456"
    assert not build_validator("mobile")(uk).ok


# --- date --------------------------------------------------------------------


def test_date_is_stored_as_iso():
    assert build_validator("date")("۱۴۰۳/۰۵/۱۲").value == "2024-08-02"
    assert build_validator("date")("2024/8/2").value == "2024-08-02"


def test_impossible_date_is_refused():
    assert_rejected(build_validator("date")("1403/13/01"), "valid date")


def test_past_only_refuses_tomorrow_but_accepts_today():
    today = datetime.date(2024, 8, 2)
    validator = DateValidator(past_only=True, today=lambda: today)
    assert validator("2024-08-02").ok
    assert_rejected(validator("2024-08-03"), "future")


def test_past_only_comes_from_yaml():
    assert not build_validator({"type": "date", "past_only": True})("2999-01-01").ok
    assert build_validator({"type": "date"})("2999-01-01").ok


# --- integer, text, choice, tracking ----------------------------------------


def test_integer_in_persian_digits_is_stored_in_ascii_without_leading_zeros():
    assert build_validator("integer")("۰۴۲").value == "42"
    assert build_validator("integer")("-7").value == "-7"


@pytest.mark.parametrize("raw", ["4.5", "four", "", "1 2", "²"])
def test_non_integer_is_refused(raw):
    assert_rejected(build_validator("integer")(raw), "digits only")


def test_integer_bounds_are_inclusive_and_explained():
    between = build_validator({"type": "integer", "min": 1, "max": 5})
    assert between("1").ok and between("5").ok
    assert_rejected(between("6"), "from 1 to 5")
    assert_rejected(build_validator({"type": "integer", "min": 3})("2"), "at least 3")
    assert_rejected(build_validator({"type": "integer", "max": 3})("4"), "at most 3")


def test_persian_error_shows_persian_digits():
    result = build_validator({"type": "integer", "min": 1, "max": 5})("9")
    assert "۱" in result.error["fa"] and "۵" in result.error["fa"]


def test_text_is_normalised_and_limited():
    assert build_validator("text")("  سلام   علي ").value == "سلام علی"
    assert_rejected(build_validator("text")("   "), "type a reply")
    assert_rejected(build_validator({"type": "text", "max_length": 5})("abcdef"), "5 characters")
    assert_rejected(build_validator({"type": "text", "min_length": 3})("ab"), "at least 3")


def test_choice_matches_case_and_keyboard_insensitively_and_stores_the_option():
    choice = build_validator({"type": "choice", "options": ["Yes", "No", "بلی", 1]})
    assert choice(" yes ").value == "Yes"
    assert choice("بلي").value == "بلی"  # Arabic yeh from an Arabic keyboard
    assert choice("۱").value == "1"
    assert_rejected(choice("maybe"), "options")


def test_tracking_code_is_stored_in_ascii():
    code = new_tracking_code()
    assert build_validator("tracking_code")(to_persian_digits(code)).value == code
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert_rejected(build_validator("tracking_code")(wrong), "tracking code")


# --- building from YAML ------------------------------------------------------


def test_validator_types_lists_every_buildable_type():
    assert set(VALIDATOR_TYPES) == {
        "choice", "date", "integer", "mobile", "national_code", "text", "tracking_code"
    }
    for name in VALIDATOR_TYPES:
        spec = {"type": name, "options": ["a"]} if name == "choice" else name
        assert callable(build_validator(spec))


def test_unknown_validator_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown validator 'foo'; known: choice, date, integer"):
        build_validator("foo")
    with pytest.raises(ValueError, match="unknown validator None"):
        build_validator({"min": 1})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "integer", "maxx": 3}, "unknown parameter 'maxx'; it takes: max, min"),
        ({"type": "national_code", "x": 1}, "it takes: none"),
        ({"type": "integer", "min": "1"}, "'min' must be int"),
        ({"type": "integer", "min": True}, "'min' must be int"),
        ({"type": "integer", "min": 5, "max": 1}, "min 5 is above max 1"),
        ({"type": "text", "max_length": 0}, "min_length <= max_length"),
        ({"type": "choice"}, "needs 'options'"),
        ("choice", "needs 'options'"),
        ({"type": "choice", "options": []}, "needs 'options'"),
        ({"type": "mobile", "region": "XX"}, "unknown region 'XX'"),
        ({"type": "mobile", "region": "TA"}, "region 'TA' has no mobile numbers"),
        ({"type": "date", "past_only": "yes"}, "'past_only' must be bool"),
        (["national_code"], "type name or a mapping"),
        ({"type": ["mobile"]}, r"unknown validator \['mobile'\]"),
    ],
)
def test_bad_params_raise_value_error_naming_the_problem(spec, message):
    with pytest.raises(ValueError, match=message):
        build_validator(spec)


def test_every_error_message_is_short_enough_for_a_ussd_page():
    failures = [
        build_validator("national_code")("1"),
        build_validator("national_code")("0499370898"),
        build_validator("mobile")("0912"),
        build_validator("mobile")("02112345678"),
        build_validator("date")("x"),
        build_validator({"type": "date", "past_only": True})("2999-01-01"),
        build_validator({"type": "integer", "min": 1000, "max": 100000})("x"),
        build_validator({"type": "integer", "min": 1000, "max": 100000})("1"),
        build_validator("text")(""),
        build_validator({"type": "choice", "options": ["a"]})("b"),
        build_validator("tracking_code")("1"),
    ]
    for result in failures:
        assert set(result.error) >= {"fa", "en"}
        assert all(ucs2_length(text) <= 60 for text in result.error.values()), result.error
