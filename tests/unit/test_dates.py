import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.dates import format_jalali, parse_date

MORDAD_12_1403 = datetime.date(2024, 8, 2)


@pytest.mark.parametrize(
    "text", ["1403/05/12", "1403-5-12", "1403.05.12", "۱۴۰۳/۰۵/۱۲", "١٤٠٣-٥-١٢", " 1403 / 05 / 12 "]
)
def test_jalali_dates_in_any_digits_and_separators_are_accepted(text):
    assert parse_date(text) == MORDAD_12_1403


@pytest.mark.parametrize("text", ["2024-08-02", "2024/8/2", "2024.08.02", "۲۰۲۴/۰۸/۰۲"])
def test_gregorian_dates_are_recognised_by_their_year(text):
    assert parse_date(text) == MORDAD_12_1403


def test_jalali_leap_day_exists_only_in_leap_years():
    assert parse_date("1403/12/30") == datetime.date(2025, 3, 20)
    with pytest.raises(ValueError, match="has no day 30"):
        parse_date("1402/12/30")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1403/13/01", "month must be 1 to 12"),
        ("1403/00/10", "month must be 1 to 12"),
        ("2023-02-29", "valid Gregorian date"),
        ("1403/07/31", "valid Jalali date"),
        ("12/05/1403", "not a date"),
        ("1403/05-12", "not a date"),
        ("tomorrow", "not a date"),
        ("", "not a date"),
    ],
)
def test_bad_dates_raise_value_error_saying_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_format_jalali_pads_month_and_day():
    assert format_jalali(MORDAD_12_1403) == "1403/05/12"
    assert format_jalali(datetime.date(2025, 3, 21)) == "1404/01/01"


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2300, 1, 1)))
def test_formatted_jalali_date_parses_back_to_the_same_day(date):
    assert parse_date(format_jalali(date)) == date
