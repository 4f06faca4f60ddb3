"""Delivery state of sent SMS: an order-independent state machine and its SQLite record.

Reports arrive late, twice, and out of order (a `sent to SMSC` after `delivered`). The state only
moves forward: accepted < sent_to_smsc < a final state (delivered, failed, expired), and the first
final state stays. So any order of the same reports ends in the same state, and a repeated report
changes nothing but the count. The stored detail (the provider's own words, e.g. `1 stat:DELIVRD`)
is that of the report that set the state: a late `8 ACK/` after `delivered` does not replace it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from channels.sms.base import DELIVERY_STATES
from gateway.observability.metrics import count_delivery
from gateway.store import Database, Transaction

FINAL = frozenset({"delivered", "failed", "expired"})
_RANK = {"accepted": 1, "sent_to_smsc": 2, "delivered": 3, "failed": 3, "expired": 3}


def merge(current: str | None, reported: str) -> str:
    """The state after a report: forward only, and a final state is never replaced."""
    if reported not in _RANK:
        raise ValueError(f"unknown delivery state {reported!r}; one of {', '.join(DELIVERY_STATES)}")
    if current is None:
        return reported
    if current in FINAL:
        return current
    return reported if _RANK[reported] > _RANK[current] else current


def _detail_after(stored: str | None, reported: str | None, *, moved: bool, took: bool) -> str | None:
    """The detail to keep: a report's own when it moved the state, or when it is the first report of
    the state the send recorded (`took`: the state is the reported one); else the stored one. So a
    late or repeated report leaves it as it was."""
    if reported is not None and (moved or (took and stored is None)):
        return reported
    return stored


@dataclass(frozen=True)
class DeliveryChange:
    """What one report did: the state before and after (equal when it changed nothing)."""

    before: str | None
    after: str
    outbox_id: int | None

    @property
    def changed(self) -> bool:
        """Whether the report moved the state."""
        return self.before != self.after


class DeliveryStore:
    """`sms_deliveries`, mirrored into `outbox.delivery` once the outbox row is known."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _apply(self, conn: Transaction, provider: str, message_id: str, state: str, detail: str) -> DeliveryChange:
        """One report; the send's own record (`submitted_in`) links the outbox row, whichever comes first."""
        now = time.time()
        await conn.lock(f"sms_delivery:{provider}:{message_id}")  # a report racing the send's own record
        row = await conn.fetchone(
            "SELECT state, outbox_id, detail FROM sms_deliveries WHERE provider = ? AND provider_message_id = ?", (provider, message_id))
        before = row["state"] if row else None
        after = merge(before, state)
        kept = _detail_after(row["detail"] if row else None, detail, moved=after != before, took=after == state)
        linked = row["outbox_id"] if row else None
        await conn.execute(
            "INSERT INTO sms_deliveries"
            " (provider, provider_message_id, outbox_id, state, detail, reports, created_at, updated_at)"
            " VALUES (?, ?, NULL, ?, ?, 1, ?, ?)"
            " ON CONFLICT (provider, provider_message_id) DO UPDATE SET state = excluded.state,"
            " detail = excluded.detail, reports = sms_deliveries.reports + 1, updated_at = excluded.updated_at",
            (provider, message_id, after, kept, now, now),
        )
        if linked is not None:
            await conn.execute("UPDATE outbox SET delivery = ?, updated_at = ? WHERE id = ?", (after, now, linked))
        return DeliveryChange(before, after, linked)

    async def submitted(self, provider: str, message_id: str, outbox_id: int, *, coding: str, segments: int) -> str:
        """The provider accepted the message (any report that beat us here is kept); the state, mirrored
        on the outbox row. The outbox records a send with `submitted_in`, in its own transaction."""
        async with self.db.transaction() as conn:
            state = await self.submitted_in(conn, provider, message_id, outbox_id, coding=coding, segments=segments)
            await conn.execute("UPDATE outbox SET delivery = ?, updated_at = ? WHERE id = ?", (state, time.time(), outbox_id))
        return state

    async def submitted_in(self, conn: Transaction, provider: str, message_id: str, outbox_id: int, *, coding: str, segments: int) -> str:
        """As `submitted`, in the transaction that marks the outbox row sent: one statement, as the
        send's record moves no state (`accepted` is the lowest: a report that came first keeps its
        own); the state to put on the outbox row, which the caller writes with its sent mark."""
        await conn.lock(f"sms_delivery:{provider}:{message_id}")  # a report racing us, as in _apply
        now = time.time()
        row = await conn.fetchone(
            "INSERT INTO sms_deliveries"
            " (provider, provider_message_id, outbox_id, state, detail, reports, coding, segments, created_at, updated_at)"
            " VALUES (?, ?, ?, 'accepted', NULL, 0, ?, ?, ?, ?)"
            " ON CONFLICT (provider, provider_message_id) DO UPDATE SET outbox_id = excluded.outbox_id,"
            " coding = excluded.coding, segments = excluded.segments, updated_at = excluded.updated_at RETURNING state",
            (provider, message_id, outbox_id, coding, segments, now, now),
        )
        return str(row["state"]) if row else "accepted"

    async def report(self, provider: str, message_id: str, state: str, detail: str) -> DeliveryChange:
        """A delivery report, in whatever order it comes (committed with the other writes made meanwhile:
        reports come two or three per message)."""
        change = await self.db.grouped(lambda conn: self._apply(conn, provider, message_id, state, detail))
        count_delivery(provider, change.after)  # the merged state: one of DELIVERY_STATES, whatever the report said
        return change

    async def get(self, provider: str, message_id: str) -> dict | None:
        """One message's delivery record."""
        return await self.db.fetchone(
            "SELECT * FROM sms_deliveries WHERE provider = ? AND provider_message_id = ?", (provider, message_id)
        )
