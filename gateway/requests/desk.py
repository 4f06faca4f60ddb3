"""The requests desk's own records: staff notes on a request and who works on it.

Notes are for colleagues only: nothing here ever reaches the outbox. An assignee is a console user
with the operator role or above (one at most; no row means unassigned). Each change writes its audit
entry (`request.noted`, `request.assigned`) in its own transaction, so neither lands without the other.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

from flows.clock import SYSTEM_CLOCK, Clock
from flows.errors import PishkhanError
from gateway.audit import AuditLog
from gateway.requests.service import receipt_key
from gateway.requests.store import RequestRecord
from gateway.store import Database

MAX_NOTE = 2000
"""Characters a note may have: a paragraph or two, not a document."""
ASSIGNABLE = ("operator", "admin")
"""Roles that work on requests, so may be given one."""


class DeskError(PishkhanError):
    """A note or an assignment that cannot be made; the words say why."""


@dataclass(frozen=True)
class Note:
    """A staff note on a request."""

    id: int
    author: str
    at: float
    text: str


@dataclass(frozen=True)
class Message:
    """A message the citizen was sent (or is being sent) about a request, as the outbox has it."""

    id: int
    channel: str
    address: str
    kind: str
    state: str
    delivery: str | None
    text: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Colleague:
    """A console user a request may be assigned to."""

    id: int
    name: str


_ASSIGNABLE = (f"role IN ({', '.join('?' * len(ASSIGNABLE))}) AND disabled_at IS NULL"
               " AND (agencies IS NULL OR ',' || agencies || ',' LIKE ? ESCAPE '!')")
"""SQL: a user a request may be given to (parameters: ASSIGNABLE, then `_member(agency)`): one who works on requests and
sees the request's agency (`console_users.agencies` is comma-separated ids, NULL for every agency)."""


def _member(agency: str | None) -> str:
    """The LIKE pattern of a scope holding `agency` (None: one that matches no scope, so only unscoped users); an id's
    `_` is escaped, so it matches itself only."""
    return f"%,{agency.replace('_', '!_')},%" if agency else ","


class RequestDesk:
    """Notes and assignments of requests."""

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db, self.clock = db, clock
        self.audit = AuditLog(db, clock)

    async def add_note(self, record: RequestRecord, author_id: int, actor: str, text: str) -> Note:
        """Keep a note on `record` by the console user `author_id` (audited under `actor`)."""
        text = text.strip()
        if not text:
            raise DeskError("note: write something")
        if len(text) > MAX_NOTE:
            raise DeskError(f"note: at most {MAX_NOTE} characters")
        now = self.clock()
        async with self.db.transaction() as conn:
            note_id = await conn.insert("INSERT INTO request_notes (request_id, author_id, at, text) VALUES (?, ?, ?, ?)",
                                        (record.id, author_id, now, text))
            await self.audit.record(actor, "request.noted", record.tracking_code, {"note": note_id}, conn=conn)
            row = await conn.fetchone("SELECT name FROM console_users WHERE id = ?", (author_id,))
        return Note(note_id, row["name"] if row else "?", now, text)

    async def notes(self, request_id: int) -> list[Note]:
        """A request's notes, oldest first."""
        rows = await self.db.fetchall(
            "SELECT n.id, u.name, n.at, n.text FROM request_notes n JOIN console_users u ON u.id = n.author_id"
            " WHERE n.request_id = ? ORDER BY n.id", (request_id,))
        return [Note(r["id"], r["name"], r["at"], r["text"]) for r in rows]

    async def colleagues(self, agency: str | None) -> list[Colleague]:
        """Who a request of `agency` may be assigned to: enabled users with the operator role or above who see that agency
        (those limited to no agency, or to it; None: a request of no agency, which only the former see), by name."""
        rows = await self.db.fetchall(f"SELECT id, name FROM console_users WHERE {_ASSIGNABLE} ORDER BY name", (*ASSIGNABLE, _member(agency)))
        return [Colleague(r["id"], r["name"]) for r in rows]

    async def assign(self, record: RequestRecord, user_id: int | None, actor: str, agency: str | None = None) -> str | None:
        """Give `record` (of `agency`) to the user `user_id` (None: to nobody), audited under `actor`; the assignee's name.
        DeskError when that user may not work on requests, or not on `agency`'s."""
        now = self.clock()
        async with self.db.transaction() as conn:
            await conn.lock(f"request:{record.tracking_code}")  # two colleagues assigning at once: the trail shows both, in order
            name = None
            if user_id is not None:
                row = await conn.fetchone(f"SELECT name FROM console_users WHERE id = ? AND {_ASSIGNABLE}",
                                          (user_id, *ASSIGNABLE, _member(agency)))
                if row is None:
                    raise DeskError("assignee: not a console user with the operator role or above who sees this request's agency")
                name = str(row["name"])
            before = await conn.fetchone(
                "SELECT u.name FROM request_assignments a JOIN console_users u ON u.id = a.user_id WHERE a.request_id = ?", (record.id,))
            await conn.execute("DELETE FROM request_assignments WHERE request_id = ?", (record.id,))
            if user_id is not None:
                await conn.execute("INSERT INTO request_assignments (request_id, user_id, assigned_by, at) VALUES (?, ?, ?, ?)",
                                   (record.id, user_id, actor, now))
            await self.audit.record(actor, "request.assigned", record.tracking_code,
                                    {"from": before["name"] if before else None, "to": name}, conn=conn)
        return name

    async def assignees(self, request_ids: Collection[int]) -> dict[int, str]:
        """The assignee's name of each of these requests that has one."""
        if not request_ids:
            return {}
        rows = await self.db.fetchall(
            "SELECT a.request_id, u.name FROM request_assignments a JOIN console_users u ON u.id = a.user_id"
            f" WHERE a.request_id IN ({', '.join('?' * len(request_ids))})", tuple(request_ids))
        return {int(r["request_id"]): str(r["name"]) for r in rows}

    async def messages(self, record: RequestRecord) -> list[Message]:
        """The messages about `record` in the outbox, oldest first: those to its reply address (or, for a bot
        message that fell back to SMS, to its phone) since it was made that name its tracking code (receipts,
        status changes, payment links and receipts) or are its receipt (an SMS conversation's reply)."""
        addresses = [record.address, *([f"tel:{record.phone}"] if record.phone else [])]
        # The LIKE narrows on the meta's JSON text (json.dumps's spacing, a code of digits only); the exact check follows.
        rows = await self.db.fetchall(
            f"SELECT id, channel, address, kind, state, delivery, text, meta, created_at, updated_at, idempotency_key FROM outbox"
            f" WHERE address IN ({', '.join('?' * len(addresses))}) AND created_at >= ? AND (idempotency_key = ? OR meta LIKE ?)"
            " ORDER BY id",
            (*addresses, record.created_at, receipt_key(record.tracking_code), f'%"tracking_code": "{record.tracking_code}"%'))
        return [Message(r["id"], r["channel"], r["address"], r["kind"], r["state"], r["delivery"], r["text"], r["created_at"], r["updated_at"])
                for r in rows
                if r["idempotency_key"] == receipt_key(record.tracking_code)
                or json.loads(r["meta"] or "{}").get("tracking_code") == record.tracking_code]
