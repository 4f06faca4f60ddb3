"""Where complaints and their events are kept: a storage interface and its SQL implementation (SQLite
or PostgreSQL). Every write the citizen is told about is one transaction: the complaint and its
`filed` event, or a status change, its event and its audit entry."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import gateway.events.hooks as events
from gateway.complaints.lifecycle import OPEN
from gateway.scopes import service_clause
from gateway.store import Database, Transaction

MAX_CODE_ATTEMPTS = 8
"""New codes tried when one is taken (by a complaint or a request)."""


@dataclass(frozen=True)
class ComplaintRecord:
    """A complaint or suggestion, as stored; `request_code` is the tracking code of the request it is about."""

    id: int
    code: str
    kind: str
    service_id: str
    request_id: int | None
    request_code: str | None
    status: str
    channel: str
    address: str
    phone: str | None
    lang: str
    text: str
    answer: str | None
    due_date: datetime.date
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class ComplaintEvent:
    """One change of a complaint's status: who, when, from, to, and the answer or reason."""

    id: int
    complaint_id: int
    at: float
    actor: str
    from_status: str | None
    to_status: str
    reason: str | None
    notified: bool


@dataclass(frozen=True)
class NewComplaint:
    """What filing stores; the code is chosen by the store (it knows which are taken)."""

    kind: str
    service_id: str
    request_id: int | None
    channel: str
    address: str
    phone: str | None
    lang: str
    text: str
    due_date: datetime.date
    at: float
    notify: bool
    """Whether the `filed` event still needs a message (a USSD citizen's receipt by SMS)."""


@dataclass(frozen=True)
class ComplaintFilter:
    """Operator list filters; None means any. Late ones (still open past their due date on `today`) first,
    the most overdue first, then the oldest."""

    today: datetime.date
    status: str | None = None
    kind: str | None = None
    service_id: str | None = None
    channel: str | None = None
    late_only: bool = False
    open_only: bool = False
    created_from: float | None = None
    created_before: float | None = None
    services: frozenset[str] | None = None
    """Only complaints about these services: an agency scope's (gateway.scopes); None: every service."""
    limit: int = 50
    offset: int = 0


Within = Callable[[Transaction, ComplaintRecord], Awaitable[None]]
"""A write committed with a status change (its audit entry), given the complaint as it was before."""


class ComplaintStore(Protocol):
    """The storage operations the complaint service needs."""

    async def create(self, new: NewComplaint, new_code: Callable[[], str]) -> tuple[ComplaintRecord, ComplaintEvent]:
        """Store a complaint under a fresh code no complaint or request has, with its `filed` event."""

    async def get(self, code: str) -> ComplaintRecord | None:
        """A complaint by its code."""

    async def change_status(self, code: str, to: str, actor: str, answer: str | None, at: float, notify: bool,
                            check: Callable[[ComplaintRecord], None], within: Sequence[Within] = (), then: Sequence[Within] = ()
                            ) -> tuple[ComplaintRecord, ComplaintEvent] | None:
        """Run `check` on the current record (it raises to refuse), then change the status (and the answer when
        one is given), add the event and run `within` (given the complaint as it was) and `then` (given it as
        changed), in one transaction; None if not found."""

    async def events(self, complaint_id: int) -> list[ComplaintEvent]:
        """A complaint's events, oldest first."""

    async def unnotified(self, limit: int) -> list[tuple[ComplaintRecord, ComplaintEvent]]:
        """Events whose message is not in the outbox yet (a crash between the two)."""

    async def mark_notified(self, event_id: int) -> None:
        """The event's message is in the outbox."""

    async def search(self, where: ComplaintFilter) -> tuple[list[ComplaintRecord], int]:
        """A page of complaints matching the filter, late first, and how many match in all."""


_SELECT = "SELECT c.*, r.tracking_code AS request_code FROM complaints c LEFT JOIN requests r ON r.id = c.request_id"
_OPEN = f"c.status IN ({', '.join('?' * len(OPEN))})"
"""SQL: still waiting for an answer (its parameters: `sorted(OPEN)`)."""


def _record(row: Mapping[str, Any]) -> ComplaintRecord:
    return ComplaintRecord(
        id=row["id"], code=row["code"], kind=row["kind"], service_id=row["service_id"], request_id=row["request_id"],
        request_code=row["request_code"], status=row["status"], channel=row["channel"], address=row["address"], phone=row["phone"],
        lang=row["lang"], text=row["text"], answer=row["answer"], due_date=datetime.date.fromisoformat(row["due_date"]),
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _event(row: Mapping[str, Any]) -> ComplaintEvent:
    return ComplaintEvent(
        id=row["id"], complaint_id=row["complaint_id"], at=row["at"], actor=row["actor"], from_status=row["from_status"],
        to_status=row["to_status"], reason=row["reason"], notified=bool(row["notified"]),
    )


class SqlComplaintStore:
    """ComplaintStore on the gateway's store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, new: NewComplaint, new_code: Callable[[], str]) -> tuple[ComplaintRecord, ComplaintEvent]:
        async with self.db.transaction() as conn:
            complaint_id = await self._insert(conn, new, new_code)
            event_id = await conn.insert(
                "INSERT INTO complaint_events (complaint_id, at, actor, from_status, to_status, notified)"
                " VALUES (?, ?, 'citizen', NULL, 'filed', ?)", (complaint_id, new.at, 0 if new.notify else 1))
            await events.complaint_filed(conn, complaint_id, new.at)  # the agency's systems are told in the same commit
            row = await conn.fetchone(f"{_SELECT} WHERE c.id = ?", (complaint_id,))
        assert row is not None  # read inside the transaction that wrote it
        return _record(row), ComplaintEvent(event_id, complaint_id, new.at, "citizen", None, "filed", None, not new.notify)

    @staticmethod
    async def _insert(conn: Transaction, new: NewComplaint, new_code: Callable[[], str]) -> int:
        """Insert under a fresh code: one a request has is skipped (a citizen typing it to track would see the
        request), one a complaint has is skipped by the unique index, without an error that would abort PostgreSQL's transaction."""
        for _ in range(MAX_CODE_ATTEMPTS):
            code = new_code()
            if await conn.fetchone("SELECT 1 FROM requests WHERE tracking_code = ?", (code,)):
                continue
            row = await conn.fetchone(
                "INSERT INTO complaints (code, kind, service_id, request_id, channel, address, phone, lang, text, due_date,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING RETURNING id",
                (code, new.kind, new.service_id, new.request_id, new.channel, new.address, new.phone, new.lang, new.text,
                 new.due_date.isoformat(), new.at, new.at),
            )
            if row is not None:
                return int(row["id"])
        raise RuntimeError(f"no free complaint code after {MAX_CODE_ATTEMPTS} tries; make tracking codes longer")

    async def get(self, code: str) -> ComplaintRecord | None:
        row = await self.db.fetchone(f"{_SELECT} WHERE c.code = ?", (code,))
        return _record(row) if row else None

    async def change_status(self, code: str, to: str, actor: str, answer: str | None, at: float, notify: bool,
                            check: Callable[[ComplaintRecord], None], within: Sequence[Within] = (), then: Sequence[Within] = ()
                            ) -> tuple[ComplaintRecord, ComplaintEvent] | None:
        async with self.db.transaction() as conn:
            await conn.lock(f"complaint:{code}")  # two operators at once: the second sees the first's status
            row = await conn.fetchone(f"{_SELECT} WHERE c.code = ?", (code,))
            if row is None:
                return None
            current = _record(row)
            check(current)
            kept = answer if answer is not None else current.answer
            await conn.execute("UPDATE complaints SET status = ?, answer = ?, updated_at = ? WHERE id = ?", (to, kept, at, current.id))
            event_id = await conn.insert(
                "INSERT INTO complaint_events (complaint_id, at, actor, from_status, to_status, reason, notified) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (current.id, at, actor, current.status, to, answer, 0 if notify else 1))
            for write in within:
                await write(conn, current)
            updated = replace(current, status=to, answer=kept, updated_at=at)
            for write in then:
                await write(conn, updated)
        event = ComplaintEvent(event_id, current.id, at, actor, current.status, to, answer, not notify)
        return updated, event

    async def events(self, complaint_id: int) -> list[ComplaintEvent]:
        rows = await self.db.fetchall("SELECT * FROM complaint_events WHERE complaint_id = ? ORDER BY id", (complaint_id,))
        return [_event(r) for r in rows]

    async def unnotified(self, limit: int) -> list[tuple[ComplaintRecord, ComplaintEvent]]:
        rows = await self.db.fetchall(
            "SELECT e.id AS event_id, e.at, e.actor, e.from_status, e.to_status, e.reason, e.notified, c.*, r.tracking_code AS request_code"
            " FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id LEFT JOIN requests r ON r.id = c.request_id"
            " WHERE e.notified = 0 ORDER BY e.id LIMIT ?", (limit,))
        return [(_record(r), _event({**r, "id": r["event_id"], "complaint_id": r["id"]})) for r in rows]

    async def mark_notified(self, event_id: int) -> None:
        await self.db.execute("UPDATE complaint_events SET notified = 1 WHERE id = ?", (event_id,))

    async def search(self, where: ComplaintFilter) -> tuple[list[ComplaintRecord], int]:
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (("c.status = ?", where.status), ("c.kind = ?", where.kind), ("c.service_id = ?", where.service_id),
                              ("c.channel = ?", where.channel), ("c.created_at >= ?", where.created_from),
                              ("c.created_at < ?", where.created_before)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if where.open_only or where.late_only:
            clauses.append(_OPEN)
            params.extend(sorted(OPEN))
        if where.late_only:
            clauses.append("c.due_date < ?")
            params.append(where.today.isoformat())
        if (scoped := service_clause("c.service_id", where.services)) is not None:
            clauses.append(scoped[0])
            params.extend(scoped[1])
        sql_where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = await self.db.fetchone(f"SELECT count(*) AS n FROM complaints c{sql_where}", params)
        # Late ones by due date (an ISO text sorts as the date), the rest after them; oldest first within each.
        order = f"CASE WHEN {_OPEN} AND c.due_date < ? THEN c.due_date ELSE '9999-12-31' END, c.created_at, c.id"
        rows = await self.db.fetchall(f"{_SELECT}{sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
                                      [*params, *sorted(OPEN), where.today.isoformat(), where.limit, where.offset])
        return [_record(r) for r in rows], int(total["n"]) if total else 0
