"""The delivery log (every attempt of every event to every subscription) and replay.

A replay queues events again, to every enabled subscription of the agency that wants their type (or
to one named subscription): one event by its `webhook-id`, or every event of a time range. A replayed
delivery keeps the event's `webhook-id` and body, so a receiver that already has it drops it as a
duplicate; replays of one subject leave in the order of its events. Replays are audited.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from flows.clock import SYSTEM_CLOCK, Clock
from flows.errors import PishkhanError
from gateway.audit import AuditLog
from gateway.events.log import queue_delivery
from gateway.store import Database, Row

OUTCOMES = ("delivered", "retry", "failed", "dead", "gone", "skipped")


class NothingToReplay(PishkhanError):
    """The replay names no event the agency has, or no subscription would receive any."""


@dataclass(frozen=True)
class DeliveryFilter:
    """What a page of the delivery log shows; None: any."""

    agencies: Collection[str] | None = None
    """The agencies the reader sees (None: every one)."""
    agency: str | None = None
    webhook_id: str | None = None
    subscription: int | None = None
    outcome: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 50
    before_id: int | None = None


def _attempt(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "at": row["at"], "agency": row["agency"], "subscription": row["subscription_id"],
            "event": {"webhook_id": row["webhook_id"], "type": row["type"], "subject": row["subject"], "at": row["event_at"]},
            "attempt": row["attempt"], "status": row["status"], "duration_ms": row["duration_ms"], "outcome": row["outcome"],
            "error": row["error"], "outbox_id": row["outbox_id"]}


class Deliveries:
    """Reads the delivery log and queues replays."""

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock=clock)

    async def search(self, where: DeliveryFilter) -> list[dict[str, Any]]:
        """A page of attempts, newest first."""
        clauses: list[str] = ["1 = 1"]
        params: list[Any] = []
        if where.agencies is not None:
            clauses.append(f"e.agency IN ({', '.join('?' * len(where.agencies)) or 'NULL'})")
            params.extend(sorted(where.agencies))
        for clause, value in (("e.agency = ?", where.agency), ("e.webhook_id = ?", where.webhook_id),
                              ("d.subscription_id = ?", where.subscription), ("d.outcome = ?", where.outcome),
                              ("d.at >= ?", where.since), ("d.at < ?", where.until), ("d.id < ?", where.before_id)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        rows = await self.db.fetchall(
            "SELECT d.*, e.agency, e.webhook_id, e.type, e.subject, e.at AS event_at FROM event_deliveries d JOIN events e ON e.id = d.event_id"
            f" WHERE {' AND '.join(clauses)} ORDER BY d.id DESC LIMIT ?", (*params, where.limit))
        return [_attempt(r) for r in rows]

    async def event_agency(self, webhook_id: str) -> str | None:
        """The agency an event belongs to (None: no such event)."""
        row = await self.db.fetchone("SELECT agency FROM events WHERE webhook_id = ?", (webhook_id,))
        return None if row is None else row["agency"]

    async def replay(self, agency: str, *, actor: str, webhook_id: str | None = None, since: float | None = None,
                     until: float | None = None, subscription: int | None = None, limit: int = 10000) -> dict[str, int]:
        """Queue the events again; how many events and deliveries. NothingToReplay when none would go."""
        clauses: list[str] = ["agency = ?"]
        params: list[Any] = [agency]
        for clause, value in (("webhook_id = ?", webhook_id), ("at >= ?", since), ("at < ?", until)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        now, batch = self.clock(), secrets.token_hex(6)
        async with self.db.transaction() as conn:
            chosen = await conn.fetchall(f"SELECT id, type, subject FROM events WHERE {' AND '.join(clauses)} ORDER BY at, id LIMIT ?",
                                         (*params, limit + 1))
            if len(chosen) > limit:
                raise NothingToReplay(f"over {limit} events in that range (events.max_replay): replay a shorter one")
            subs = await conn.fetchall("SELECT id, types FROM event_subscriptions WHERE agency = ? AND state = 'enabled'"
                                       + (" AND id = ?" if subscription is not None else ""),
                                       (agency, subscription) if subscription is not None else (agency,))
            last: dict[tuple[str, int], str] = {}
            queued = 0
            for event in chosen:
                for sub in subs:
                    if event["type"] in json.loads(sub["types"]):
                        key = f"replay:{batch}:{event['id']}:{sub['id']}"
                        await queue_delivery(conn, event["id"], sub["id"], now, key, last.get((event["subject"], sub["id"])))
                        last[(event["subject"], sub["id"])] = key
                        queued += 1
            if not queued:
                raise NothingToReplay("no such event, or no enabled subscription of the agency wants it" if chosen
                                      else f"agency {agency} has no event {'with that webhook-id' if webhook_id else 'in that range'}")
            await self.audit.record(actor, "events.replayed", agency,
                                    {"webhook_id": webhook_id, "since": since, "until": until, "subscription": subscription,
                                     "events": len(chosen), "deliveries": queued}, conn=conn)
        return {"events": len(chosen), "deliveries": queued}
