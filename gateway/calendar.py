"""Working days: when an answer is due (a service's SLA counts working days, seed 001 annex).

Weekend days and holidays are configuration. Iranian defaults: Friday is the weekend (Thursday is
a half day in many offices and is counted as working) and the fixed solar holidays recur every
Jalali year; the lunar holidays move each year, so operators list them as dates.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime

from flows.dates import parse_date
from flows.errors import PishkhanError
from gateway.settings_base import section, settings_section

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RECURRING = re.compile(r"^([0-9]{1,2})[/-]([0-9]{1,2})$")
IRAN_FIXED_HOLIDAYS = (
    "01/01", "01/02", "01/03", "01/04",  # Nowruz
    "01/12", "01/13",                    # Islamic Republic Day, Nature Day
    "03/14", "03/15",                    # 14 and 15 Khordad
    "11/22",                             # 22 Bahman
    "12/29",                             # oil nationalisation
)


class CalendarError(PishkhanError):
    """The calendar settings cannot be used; says which entry and how to write it."""


@settings_section
@dataclass(frozen=True)
class CalendarSettings:
    """`calendar:` in settings.yaml."""

    timezone: str = "Asia/Tehran"
    weekend: list[str] = field(default_factory=lambda: ["friday"])
    holidays: list[str] = field(default_factory=lambda: list(IRAN_FIXED_HOLIDAYS))
    """Entries: `MM/DD` (a Jalali month/day every year), or one date, Jalali `1404/01/14` or ISO `2025-04-03`."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count as working days, and today's date where the offices are."""

    weekend: frozenset[int]
    """Python weekday numbers (Monday 0 .. Sunday 6)."""
    holidays: frozenset[datetime.date] = frozenset()
    recurring: frozenset[tuple[int, int]] = frozenset()
    """Jalali (month, day) pairs that are holidays every year."""
    tz: datetime.tzinfo = datetime.timezone(datetime.timedelta(hours=3, minutes=30))

    def is_working_day(self, day: datetime.date) -> bool:
        """Not a weekend day and not a holiday."""
        if day.weekday() in self.weekend or day in self.holidays:
            return False
        if self.recurring:
            jalali = jdatetime.date.fromgregorian(date=day)
            return (jalali.month, jalali.day) not in self.recurring
        return True

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The date `days` working days after `start` (0: `start` itself)."""
        if days < 0:
            raise ValueError("days must be 0 or more")
        day = start
        while days:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def date_of(self, timestamp: float) -> datetime.date:
        """The local calendar date of a Unix time."""
        return datetime.datetime.fromtimestamp(timestamp, self.tz).date()

    def today(self) -> datetime.date:
        """Today's local date."""
        return self.date_of(time.time())

    def start_of(self, day: datetime.date) -> float:
        """The Unix time of local midnight at the start of `day` (for date-range filters)."""
        return datetime.datetime.combine(day, datetime.time(), self.tz).timestamp()


def _weekdays(names: Iterable[str]) -> frozenset[int]:
    result = set()
    for name in names:
        key = str(name).strip().lower()
        if key not in WEEKDAYS:
            raise CalendarError(f"calendar.weekend: {name!r} is not a weekday; use names like friday, saturday")
        result.add(WEEKDAYS.index(key))
    return frozenset(result)


def _timezone(name: str) -> datetime.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"calendar.timezone: {name!r} is not a known time zone, e.g. Asia/Tehran") from exc


def calendar_settings(raw: Mapping[str, Any] | None, name: str = "calendar") -> CalendarSettings:
    """The `calendar:` section, its holidays and weekend checked (CalendarError names a bad entry)."""
    settings = section(CalendarSettings, raw, name)
    build_calendar(settings)
    return settings


def build_calendar(settings: CalendarSettings) -> WorkingCalendar:
    """A WorkingCalendar from the settings; CalendarError names a bad entry."""
    dates: set[datetime.date] = set()
    recurring: set[tuple[int, int]] = set()
    for entry in settings.holidays:
        text = str(entry).strip()
        match = _RECURRING.match(text)
        if match:
            month, day = int(match.group(1)), int(match.group(2))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                raise CalendarError(f"calendar.holidays: {text!r} is not a Jalali month/day such as 01/01")
            recurring.add((month, day))
            continue
        try:
            dates.add(parse_date(text))
        except ValueError as exc:
            raise CalendarError(f"calendar.holidays: {exc}; or write MM/DD for a Jalali day every year") from exc
    return WorkingCalendar(_weekdays(settings.weekend), frozenset(dates), frozenset(recurring), _timezone(settings.timezone))
