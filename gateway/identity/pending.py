"""Requests waiting for the ownership check: the citizen's answers, kept while the provider is down.

A USSD session ends with the page that says so; the answers must outlive it. They are kept here (the
same answers a submitted request stores) until a background pass gets an answer, then deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.store import Database


@dataclass(frozen=True)
class Waiting:
    """One request waiting for the check."""

    id: int
    service_id: str
    channel: str
    address: str
    phone: str
    lang: str
    inputs: Mapping[str, str]
    created_at: float
    attempts: int


def _waiting(row: Mapping[str, Any]) -> Waiting:
    return Waiting(row["id"], row["service_id"], row["channel"], row["address"], row["phone"], row["lang"],
                   json.loads(row["inputs"]), row["created_at"], row["attempts"])


class PendingStore:
    """Rows of `identity_pending`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def keep(self, service_id: str, inputs: Mapping[str, str], *, channel: str, address: str, phone: str, lang: str,
                   now: float, next_at: float) -> int:
        """Keep a request's answers until the provider answers; its id."""
        async with self.db.transaction() as tx:
            return await tx.insert(
                "INSERT INTO identity_pending (service_id, channel, address, phone, lang, inputs, created_at, next_at, attempts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (service_id, channel, address, phone, lang, json.dumps(dict(inputs), ensure_ascii=False), now, next_at),
            )

    async def due(self, now: float, limit: int) -> list[Waiting]:
        """Those whose next try is due, oldest first."""
        rows = await self.db.fetchall("SELECT * FROM identity_pending WHERE next_at <= ? ORDER BY next_at, id LIMIT ?", (now, limit))
        return [_waiting(row) for row in rows]

    async def later(self, waiting: Waiting, next_at: float) -> None:
        """Try again at `next_at`."""
        await self.db.execute("UPDATE identity_pending SET next_at = ?, attempts = ? WHERE id = ?", (next_at, waiting.attempts + 1, waiting.id))

    async def done(self, waiting: Waiting) -> None:
        """The request was submitted or refused, and the citizen told: its answers go."""
        await self.db.execute("DELETE FROM identity_pending WHERE id = ?", (waiting.id,))
