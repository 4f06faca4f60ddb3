"""Numbers that opted out of notifications (STOP / 11 / لغو) and came back (START / 12 / شروع)."""

from __future__ import annotations

import time

from gateway.store import Database


class OptOuts:
    """`sms_optouts`: an opted-out number gets no `notification` messages; receipts and replies still go."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def opt_out(self, address: str, keyword: str) -> bool:
        """Record the opt-out; False when the number had already opted out."""
        async with self.db.transaction() as conn:
            return await conn.execute(
                "INSERT INTO sms_optouts (address, keyword, created_at) VALUES (?, ?, ?) ON CONFLICT (address) DO NOTHING",
                (address, keyword[:40], time.time()),
            ) == 1

    async def opt_in(self, address: str) -> bool:
        """Forget the opt-out; False when there was none."""
        async with self.db.transaction() as conn:
            return await conn.execute("DELETE FROM sms_optouts WHERE address = ?", (address,)) == 1

    async def is_opted_out(self, address: str) -> bool:
        """Whether notifications to this number are suppressed."""
        return await self.db.fetchone("SELECT 1 FROM sms_optouts WHERE address = ?", (address,)) is not None
