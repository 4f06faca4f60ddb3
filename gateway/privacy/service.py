"""The privacy side of a gateway in one object: the statement, what is kept about a number, erasure."""

from __future__ import annotations

from collections.abc import Callable

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.audit import AuditLog
from gateway.catalogue import Catalogue
from gateway.privacy.erasure import FINAL, Erased, Eraser, Swept
from gateway.privacy.settings import PrivacySettings
from gateway.privacy.statement import Statement
from gateway.privacy.stored import Stored, stored_about
from gateway.store import Database


class PrivacyService:
    """What the channels, the public page and the retention job ask of privacy."""

    def __init__(self, settings: PrivacySettings, statement: Statement, db: Database, catalogue: Callable[[], Catalogue], *,
                 languages: tuple[str, ...], clock: Clock = SYSTEM_CLOCK) -> None:
        self.settings = settings
        self.statement = statement
        self.db = db
        self.catalogue = catalogue
        self.languages = languages
        self.clock = clock
        """What the retention job's lease reads (the erasures read it too)."""
        self.eraser = Eraser(db, catalogue, AuditLog(db, clock), clock)

    async def stored(self, phone: str) -> Stored:
        """What is kept about a verified number."""
        return await stored_about(self.db, self.catalogue, phone)

    async def erasable(self, phone: str) -> tuple[int, int]:
        """How many of the number's requests are finished (and so may be erased) and how many are still open."""
        rows = await self.db.fetchall("SELECT status FROM requests WHERE phone = ?", (phone,))
        finished = sum(1 for row in rows if row["status"] in FINAL)
        return finished, len(rows) - finished

    async def erase(self, phone: str) -> Erased:
        """The citizen's ask: their finished requests' personal inputs erased, each audited."""
        return await self.eraser.erase_for_phone(phone)

    async def sweep(self) -> Swept:
        """One pass of the retention job."""
        return await self.eraser.sweep(self.settings.retention_days)
