"""Working days: Friday weekends, Jalali holidays every year, holidays listed as dates."""

from __future__ import annotations

import datetime

import pytest

from gateway.calendar import CalendarError, CalendarSettings, build_calendar

D = datetime.date


def test_friday_is_not_a_working_day_by_default() -> None:
    calendar = build_calendar(CalendarSettings(holidays=[]))
    assert not calendar.is_working_day(D(2025, 5, 9))   # a Friday
    assert calendar.is_working_day(D(2025, 5, 8))       # Thursday counts
    assert calendar.is_working_day(D(2025, 5, 10))      # Saturday is a working day in Iran


def test_working_days_skip_the_weekend() -> None:
    calendar = build_calendar(CalendarSettings(holidays=[]))
    assert calendar.add_working_days(D(2025, 5, 8), 1) == D(2025, 5, 10)   # Thursday + 1 -> Saturday
    assert calendar.add_working_days(D(2025, 5, 8), 0) == D(2025, 5, 8)
    assert calendar.add_working_days(D(2025, 5, 9), 6) == D(2025, 5, 15)   # from a Friday: Sat..Thu


def test_nowruz_recurs_every_jalali_year() -> None:
    calendar = build_calendar(CalendarSettings())
    assert not calendar.is_working_day(D(2025, 3, 21))   # 1404/01/01
    assert not calendar.is_working_day(D(2026, 3, 21))   # 1405/01/01
    # 1403/12/28 (Tuesday) + 2 working days: 12/29 is off, 12/30 counts, 1404/01/01..04 are off -> 01/05
    assert calendar.add_working_days(D(2025, 3, 18), 2) == D(2025, 3, 25)


def test_holidays_as_jalali_or_iso_dates() -> None:
    calendar = build_calendar(CalendarSettings(holidays=["1404/01/14", "2025-04-05"]))
    assert not calendar.is_working_day(D(2025, 4, 3))    # 1404/01/14
    assert not calendar.is_working_day(D(2025, 4, 5))
    assert calendar.is_working_day(D(2025, 4, 6))


def test_weekend_is_configurable() -> None:
    calendar = build_calendar(CalendarSettings(weekend=["Thursday", "friday"], holidays=[]))
    assert calendar.add_working_days(D(2025, 5, 7), 1) == D(2025, 5, 10)   # Wednesday + 1 -> Saturday


@pytest.mark.parametrize("settings, words", [
    (CalendarSettings(weekend=["fri"]), "not a weekday"),
    (CalendarSettings(holidays=["13/40"]), "Jalali month/day"),
    (CalendarSettings(holidays=["next tuesday"]), "calendar.holidays"),
    (CalendarSettings(timezone="Mars/Olympus"), "time zone"),
])
def test_bad_settings_say_which_entry(settings: CalendarSettings, words: str) -> None:
    with pytest.raises(CalendarError, match=words):
        build_calendar(settings)


def test_dates_are_local_to_tehran() -> None:
    calendar = build_calendar(CalendarSettings())
    late_evening_utc = datetime.datetime(2025, 5, 10, 21, 0, tzinfo=datetime.UTC).timestamp()
    assert calendar.date_of(late_evening_utc) == D(2025, 5, 11)   # 00:30 in Tehran
    assert calendar.start_of(D(2025, 5, 11)) == datetime.datetime(2025, 5, 10, 20, 30, tzinfo=datetime.UTC).timestamp()
