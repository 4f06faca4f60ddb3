"""Dates citizens type, in the Jalali calendar or the Gregorian one.

Years below 1700 can only be Jalali (the Jalali year is about 621 behind), so
the year alone tells the calendars apart and no one has to say which they use.
"""

from __future__ import annotations

import datetime
import re

import jdatetime

from flows.normalise import normalise_input

JALALI_BEFORE_YEAR = 1700
_DATE = re.compile(r"([0-9]{4}) ?([/.-]) ?([0-9]{1,2}) ?\2 ?([0-9]{1,2})")


def parse_date(text: str) -> datetime.date:
    """A Jalali (1403/05/12) or Gregorian (2024-08-02) date in any digits, as a date.

    Raises ValueError saying what is wrong with the text.
    """
    cleaned = normalise_input(text)
    match = _DATE.fullmatch(cleaned)
    if match is None:
        raise ValueError(
            f"{text!r} is not a date; expected year/month/day such as 1403/05/12 or 2024-08-02"
        )
    year, month, day = (int(match.group(i)) for i in (1, 3, 4))
    calendar = "Jalali" if year < JALALI_BEFORE_YEAR else "Gregorian"
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} is not a valid {calendar} date: month must be 1 to 12")
    try:
        if calendar == "Jalali":
            return jdatetime.date(year, month, day).togregorian()
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a valid {calendar} date: month {month} of {year} has no day {day}"
        ) from None


def format_jalali(date: datetime.date) -> str:
    """The date as Jalali yyyy/mm/dd in ASCII digits (use to_persian_digits to show it)."""
    jalali = jdatetime.date.fromgregorian(date=date)
    return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"


def iso_utc(timestamp: float) -> str:
    """A stored UNIX time as ISO 8601 in UTC, to the second (what the operator API and CLI show)."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat(timespec="seconds")
