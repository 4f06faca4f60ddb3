"""What the gateway remembers about bot chats: verified phone numbers, unreachable chats, their requests."""

from __future__ import annotations

import time

from gateway.store import Database


class ContactStore:
    """Rows of the `telegram_*` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def verify(self, bot: str, user_id: int, chat_id: int, phone: str) -> None:
        """Remember the number Telegram vouched for this user (a newer contact replaces an older one)."""
        await self.db.execute(
            "INSERT INTO telegram_contacts (bot, user_id, chat_id, phone, verified_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (bot, user_id) DO UPDATE SET chat_id = excluded.chat_id, phone = excluded.phone, verified_at = excluded.verified_at",
            (bot, user_id, chat_id, phone, time.time()),
        )

    async def phone_for_chat(self, bot: str, chat_id: int) -> str | None:
        """The verified E.164 number of a private chat, if its user shared it."""
        row = await self.db.fetchone(
            "SELECT phone FROM telegram_contacts WHERE bot = ? AND chat_id = ? ORDER BY verified_at DESC LIMIT 1", (bot, chat_id)
        )
        return row["phone"] if row else None

    async def mark_unreachable(self, address: str, reason: str) -> None:
        """The chat blocked the bot: stop trying it until the citizen writes again."""
        await self.db.execute(
            "INSERT INTO telegram_unreachable (address, reason, since) VALUES (?, ?, ?) ON CONFLICT (address) DO NOTHING",
            (address, reason[:200], time.time()),
        )

    async def clear_unreachable(self, address: str) -> None:
        """The citizen is back (wrote to or unblocked the bot)."""
        if await self.is_unreachable(address):
            await self.db.execute("DELETE FROM telegram_unreachable WHERE address = ?", (address,))

    async def is_unreachable(self, address: str) -> bool:
        """Whether the chat blocked the bot."""
        return await self.db.fetchone("SELECT 1 AS x FROM telegram_unreachable WHERE address = ?", (address,)) is not None

    async def remember_request(self, address: str, tracking_code: str, created_at: float) -> None:
        """A request was made from this chat."""
        await self.db.execute(
            "INSERT INTO telegram_requests (address, tracking_code, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (address, tracking_code, created_at),
        )

    async def request_codes(self, address: str, limit: int) -> list[str]:
        """Tracking codes of requests made from this chat, newest first."""
        rows = await self.db.fetchall(
            "SELECT tracking_code FROM telegram_requests WHERE address = ? ORDER BY created_at DESC LIMIT ?", (address, limit)
        )
        return [r["tracking_code"] for r in rows]
