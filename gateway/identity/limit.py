"""How many identity checks one mobile number gets a day.

Each question to the provider costs the operator money, and each answer tells whose national code
a number is: someone typing codes one after another could learn it. So a number gets at most
`identity.max_checks_per_day` provider questions per local day (`calendar.timezone`), counted in
the store so every worker on every host shares the count; an answer from the cache asks nothing and
is not counted. The count is taken before the provider is asked, in one statement that refuses to
pass the limit, so two workers asking at once cannot both take the last one.
"""

from __future__ import annotations

import hashlib
import hmac

from flows.clock import Clock
from flows.errors import PishkhanError
from gateway.calendar import WorkingCalendar
from gateway.store import Database


class LimitReached(PishkhanError):
    """The number has had its checks for today: the provider is not asked."""


class DailyLimit:
    """Provider questions per mobile number and local day, at most `per_day` (0: no limit)."""

    def __init__(self, db: Database, secret: str, per_day: int, calendar: WorkingCalendar, clock: Clock) -> None:
        self.db = db
        self._key = secret.encode()
        self.per_day = per_day
        self.calendar = calendar
        self.clock = clock

    def digest(self, mobile: str) -> str:
        """The number's row key: an HMAC under the cache's secret, so the table names no number to
        whoever reads it without the secret (rows last a day; without a secret it is a plain hash)."""
        return hmac.new(self._key, f"limit\x00{mobile}".encode(), hashlib.sha256).hexdigest()

    def _today(self) -> str:
        return self.calendar.date_of(self.clock()).isoformat()

    async def take(self, mobile: str) -> None:
        """Count one question for the number today; LimitReached (nothing counted) past the limit."""
        if self.per_day <= 0:
            return
        taken = await self.db.execute(
            "INSERT INTO identity_limits (digest, day, checks) VALUES (?, ?, 1)"
            " ON CONFLICT (digest, day) DO UPDATE SET checks = identity_limits.checks + 1 WHERE identity_limits.checks < ?",
            (self.digest(mobile), self._today(), self.per_day),
        )
        if not taken:
            raise LimitReached(f"{self.per_day} identity checks today already")

    async def prune(self) -> int:
        """Delete the counts of days before today; how many."""
        return await self.db.execute("DELETE FROM identity_limits WHERE day < ?", (self._today(),))
