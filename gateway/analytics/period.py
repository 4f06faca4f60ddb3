"""Which days a question is about: the API's `since`/`until`, the report's `--since 30d`."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from flows.dates import parse_date
from flows.errors import PishkhanError
from gateway.calendar import WorkingCalendar

MAX_DAYS = 366
"""The longest period one answer covers (a year, leap day included): the report and the console
draw one point per day, and the SLA, payment and CSAT figures are read from the records."""
DEFAULT_DAYS = 30
_RELATIVE = re.compile(r"^([0-9]{1,3})d$")


class PeriodError(PishkhanError):
    """A period that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Period:
    """Local days from `since` to `until`, both included."""

    since: datetime.date
    until: datetime.date

    def days(self) -> list[str]:
        """Every day of the period, as stored (ISO)."""
        count = (self.until - self.since).days + 1
        return [(self.since + datetime.timedelta(days=n)).isoformat() for n in range(count)]

    def bounds(self, calendar: WorkingCalendar) -> tuple[float, float]:
        """The period as Unix times: local midnight starting `since` to the one ending `until`."""
        return calendar.start_of(self.since), calendar.start_of(self.until + datetime.timedelta(days=1))


def period(since: datetime.date | None, until: datetime.date | None, today: datetime.date) -> Period:
    """The period from `since` to `until` (default: today, and the 30 days ending `until`);
    PeriodError naming `since` when it is after `until` or the period is over a year."""
    end = until or today
    start = since or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise PeriodError(f"since: {start.isoformat()} is after until ({end.isoformat()})")
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(f"since: the period is {(end - start).days + 1} days; at most {MAX_DAYS}")
    return Period(start, end)


def day_or_days_ago(text: str, today: datetime.date, name: str = "since") -> datetime.date:
    """`30d` (that many days ago: 30d is the 30 days ending today), or a day (2025-03-01, Jalali 1403/12/11)."""
    found = _RELATIVE.match(text.strip())
    if found:
        days = int(found.group(1))
        if days < 1:
            raise PeriodError(f"{name}: give at least 1d")
        return today - datetime.timedelta(days=days - 1)
    try:
        return parse_date(text.strip())
    except ValueError as error:
        raise PeriodError(f"{name}: {text!r} is neither a number of days (30d) nor a day (2025-03-01, 1403/12/11): {error}") from None
