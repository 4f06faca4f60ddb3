"""Where requests and their events are kept: a small storage interface and its SQLite implementation.

The service logic (codes, due dates, notifications) talks only to `RequestStore`, so another engine
can be added by implementing this protocol. Every write that a citizen is told about is one
transaction: the request row and its `submitted` event, or the status change, its event and its audit entry.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import gateway.events.hooks as events
from gateway.requests.lifecycle import OPEN
from gateway.scopes import service_clause
from gateway.store import Database, Transaction

MAX_CODE_ATTEMPTS = 8
"""New codes tried when one is taken; with 10^10 codes a second try is already rare."""


@dataclass(frozen=True)
class RequestRecord:
    """A citizen's request for a service, as stored."""

    id: int
    tracking_code: str
    service_id: str
    status: str
    channel: str
    address: str
    phone: str | None
    national_code: str | None
    lang: str
    inputs: dict[str, Any]
    fee: int
    payment_state: str
    due_date: datetime.date
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class RequestEvent:
    """One change of a request's status: who, when, from, to, why."""

    id: int
    request_id: int
    at: float
    actor: str
    from_status: str | None
    to_status: str
    reason: str | None
    notified: bool


@dataclass(frozen=True)
class NewRequest:
    """What a submission stores; the code is chosen by the store (it knows which are taken)."""

    service_id: str
    channel: str
    address: str
    phone: str | None
    national_code: str | None
    lang: str
    inputs: Mapping[str, str]
    fee: int
    due_date: datetime.date
    idempotency_key: str | None
    at: float
    notify: bool
    """Whether the `submitted` event still needs a message to the citizen (a USSD receipt by SMS)."""


@dataclass(frozen=True)
class RequestFilter:
    """Operator list filters; None means any."""

    status: str | None = None
    service_id: str | None = None
    created_from: float | None = None
    created_before: float | None = None
    late_on: datetime.date | None = None
    """When set, only requests still open whose due date is before this day."""
    channel: str | None = None
    tracking_code: str | None = None
    phone: str | None = None
    """E.164."""
    national_code: str | None = None
    assignee: int | None = None
    """Only requests assigned to this console user (gateway.requests.desk)."""
    unassigned: bool = False
    """Only requests assigned to nobody."""
    open_only: bool = False
    """Only requests still waiting for an answer (lifecycle.OPEN)."""
    lateness_on: datetime.date | None = None
    """When set, the most overdue on this day first (the earliest due date among the late ones), then the
    oldest; else newest first."""
    services: frozenset[str] | None = None
    """Only requests for these services: an agency scope's (gateway.scopes); None: every service."""
    limit: int = 50
    offset: int = 0


Within = Callable[[Transaction, "RequestRecord"], Awaitable[None]]
"""A write that must commit together with a new request (its fee's payment) or a status change (its
audit entry), given the open transaction's connection and the request: a crash leaves both or neither."""


class RequestStore(Protocol):
    """The storage operations the request service needs."""

    async def create(self, new: NewRequest, new_code: Callable[[], str], reuse_since: float,
                     within: Sequence[Within] = ()) -> tuple[RequestRecord, RequestEvent | None]:
        """Store a request with a fresh unique code, its `submitted` event and the `within` writes, all
        in one transaction; when an open request with the same idempotency key was made after
        `reuse_since`, that request and no event instead. The look-up and the insert are one write
        transaction, so of two concurrent submissions (two workers included) exactly one creates."""

    async def get(self, tracking_code: str) -> RequestRecord | None:
        """A request by tracking code."""

    async def get_by_id(self, request_id: int) -> RequestRecord | None:
        """A request by id."""

    async def for_phone(self, phone: str, limit: int) -> list[RequestRecord]:
        """A phone number's requests, newest first."""

    async def change_status(
        self, tracking_code: str, to: str, actor: str, reason: str | None, at: float, check: Callable[[RequestRecord], None],
        within: Sequence[Within] = (), then: Sequence[Within] = (),
    ) -> tuple[RequestRecord, RequestEvent] | None:
        """Run `check` on the current record (it raises to refuse), then change the status, add the event and run
        the `within` writes (the audit entry), each given the request as it was before, and the `then` writes (the
        API's answer), each given the request as changed, all in one transaction; None if not found."""

    async def set_payment_state(self, request_id: int, state: str, at: float) -> bool:
        """Record the payment state; False when there is no such request."""

    async def events(self, request_id: int) -> list[RequestEvent]:
        """A request's events, oldest first."""

    async def unnotified(self, limit: int) -> list[tuple[RequestRecord, RequestEvent]]:
        """Events whose message to the citizen is not in the outbox yet (a crash between the two)."""

    async def mark_notified(self, event_id: int) -> None:
        """The event's message is in the outbox."""

    async def search(self, where: RequestFilter) -> tuple[list[RequestRecord], int]:
        """A page of requests matching the filter, newest first (or by lateness: `RequestFilter.lateness_on`),
        and how many match in all."""


_OPEN = f"status IN ({', '.join('?' * len(OPEN))})"
"""SQL: the request is still waiting for an answer (its parameters: `sorted(OPEN)`)."""
_ASSIGNMENT = "SELECT 1 FROM request_assignments a WHERE a.request_id = requests.id"
"""SQL: the request's assignment (gateway.requests.desk), for EXISTS and NOT EXISTS."""


def _record(row: Mapping[str, Any]) -> RequestRecord:
    return RequestRecord(
        id=row["id"], tracking_code=row["tracking_code"], service_id=row["service_id"], status=row["status"],
        channel=row["channel"], address=row["address"], phone=row["phone"], national_code=row["national_code"],
        lang=row["lang"], inputs=json.loads(row["inputs"]), fee=row["fee"], payment_state=row["payment_state"],
        due_date=datetime.date.fromisoformat(row["due_date"]), created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _event(row: Mapping[str, Any]) -> RequestEvent:
    return RequestEvent(
        id=row["id"], request_id=row["request_id"], at=row["at"], actor=row["actor"], from_status=row["from_status"],
        to_status=row["to_status"], reason=row["reason"], notified=bool(row["notified"]),
    )


class SqlRequestStore:
    """RequestStore on the gateway's store (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, new: NewRequest, new_code: Callable[[], str], reuse_since: float,
                     within: Sequence[Within] = ()) -> tuple[RequestRecord, RequestEvent | None]:
        # The lock is taken before the look-up: a second writer (this process, another worker or
        # another host) with the same key waits and then sees the first one's row.
        async with self.db.transaction() as conn:
            if new.idempotency_key:
                await conn.lock(f"request_key:{new.idempotency_key}")
                row = await conn.fetchone(
                    f"SELECT * FROM requests WHERE idempotency_key = ? AND created_at >= ? AND status IN ({', '.join('?' * len(OPEN))})"
                    " ORDER BY id DESC LIMIT 1",
                    (new.idempotency_key, reuse_since, *sorted(OPEN)),
                )
                if row is not None:
                    return _record(row), None
            request_id, code = await self._insert(conn, new, new_code)
            event_id = await conn.insert(
                "INSERT INTO request_events (request_id, at, actor, from_status, to_status, notified)"
                " VALUES (?, ?, 'citizen', NULL, 'submitted', ?)", (request_id, new.at, 0 if new.notify else 1))
            event = RequestEvent(event_id, request_id, new.at, "citizen", None, "submitted", None, not new.notify)
            record = await self._read(conn, request_id)
            for write in within:
                await write(conn, record)
                record = await self._read(conn, request_id)  # as the write left it (a payment makes it `pending`)
            await events.request_submitted(conn, request_id, new.at)  # the agency's systems are told in the same commit
        return record, event

    @staticmethod
    async def _read(conn: Transaction, request_id: int) -> RequestRecord:
        row = await conn.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
        assert row is not None  # read inside the transaction that wrote it
        return _record(row)

    @staticmethod
    async def _insert(conn: Transaction, new: NewRequest, new_code: Callable[[], str]) -> tuple[int, str]:
        """Insert under a fresh tracking code; a code already taken (on any host) is skipped by the
        unique index, without an error that would abort a PostgreSQL transaction."""
        for _ in range(MAX_CODE_ATTEMPTS):
            code = new_code()
            if await conn.fetchone("SELECT 1 FROM complaints WHERE code = ?", (code,)):
                continue  # a complaint's (gateway/complaints): "track a request" must find one thing per code
            row = await conn.fetchone(
                "INSERT INTO requests (tracking_code, service_id, channel, address, phone, national_code, lang, inputs,"
                " fee, due_date, idempotency_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (tracking_code) DO NOTHING RETURNING id",
                (code, new.service_id, new.channel, new.address, new.phone, new.national_code, new.lang,
                 json.dumps(dict(new.inputs), ensure_ascii=False), new.fee, new.due_date.isoformat(),
                 new.idempotency_key, new.at, new.at),
            )
            if row is not None:
                return int(row["id"]), code
        raise RuntimeError(f"no free tracking code after {MAX_CODE_ATTEMPTS} tries; make codes longer")

    async def get(self, tracking_code: str) -> RequestRecord | None:
        row = await self.db.fetchone("SELECT * FROM requests WHERE tracking_code = ?", (tracking_code,))
        return _record(row) if row else None

    async def get_by_id(self, request_id: int) -> RequestRecord | None:
        row = await self.db.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
        return _record(row) if row else None

    async def for_phone(self, phone: str, limit: int) -> list[RequestRecord]:
        rows = await self.db.fetchall("SELECT * FROM requests WHERE phone = ? ORDER BY created_at DESC, id DESC LIMIT ?", (phone, limit))
        return [_record(r) for r in rows]

    async def change_status(
        self, tracking_code: str, to: str, actor: str, reason: str | None, at: float, check: Callable[[RequestRecord], None],
        within: Sequence[Within] = (), then: Sequence[Within] = (),
    ) -> tuple[RequestRecord, RequestEvent] | None:
        async with self.db.transaction() as conn:
            await conn.lock(f"request:{tracking_code}")  # two operators moving it at once: the second sees the first's status
            row = await conn.fetchone("SELECT * FROM requests WHERE tracking_code = ?", (tracking_code,))
            if row is None:
                return None
            current = _record(row)
            check(current)
            await conn.execute("UPDATE requests SET status = ?, updated_at = ? WHERE id = ?", (to, at, current.id))
            event_id = await conn.insert(
                "INSERT INTO request_events (request_id, at, actor, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (current.id, at, actor, current.status, to, reason))
            event = RequestEvent(event_id, current.id, at, actor, current.status, to, reason, False)
            await events.request_transitioned(conn, current.id, current.status, reason, at)
            for write in within:
                await write(conn, current)
            updated = RequestRecord(**{**current.__dict__, "status": to, "updated_at": at})
            for write in then:
                await write(conn, updated)
        return updated, event

    async def set_payment_state(self, request_id: int, state: str, at: float) -> bool:
        async with self.db.transaction() as conn:
            return await conn.execute("UPDATE requests SET payment_state = ?, updated_at = ? WHERE id = ?", (state, at, request_id)) == 1

    async def events(self, request_id: int) -> list[RequestEvent]:
        rows = await self.db.fetchall("SELECT * FROM request_events WHERE request_id = ? ORDER BY id", (request_id,))
        return [_event(r) for r in rows]

    async def unnotified(self, limit: int) -> list[tuple[RequestRecord, RequestEvent]]:
        rows = await self.db.fetchall(
            "SELECT e.id AS event_id, e.at, e.actor, e.from_status, e.to_status, e.reason, e.notified, r.*"
            " FROM request_events e JOIN requests r ON r.id = e.request_id WHERE e.notified = 0 ORDER BY e.id LIMIT ?",
            (limit,),
        )
        return [(_record(r), _event({**r, "id": r["event_id"], "request_id": r["id"]})) for r in rows]

    async def mark_notified(self, event_id: int) -> None:
        await self.db.execute("UPDATE request_events SET notified = 1 WHERE id = ?", (event_id,))

    async def search(self, where: RequestFilter) -> tuple[list[RequestRecord], int]:
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (
            ("status = ?", where.status),
            ("service_id = ?", where.service_id),
            ("created_at >= ?", where.created_from),
            ("created_at < ?", where.created_before),
            ("channel = ?", where.channel),
            ("tracking_code = ?", where.tracking_code),
            ("phone = ?", where.phone),
            ("national_code = ?", where.national_code),
            (f"EXISTS ({_ASSIGNMENT} AND a.user_id = ?)", where.assignee),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if where.unassigned:
            clauses.append(f"NOT EXISTS ({_ASSIGNMENT})")
        if (scoped := service_clause("service_id", where.services)) is not None:
            clauses.append(scoped[0])
            params.extend(scoped[1])
        if where.open_only or where.late_on is not None:
            clauses.append(_OPEN)
            params.extend(sorted(OPEN))
        if where.late_on is not None:
            clauses.append("due_date < ?")
            params.append(where.late_on.isoformat())
        sql_where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = await self.db.fetchone(f"SELECT count(*) AS n FROM requests{sql_where}", params)
        order, order_params = "created_at DESC, id DESC", []
        if where.lateness_on is not None:
            # Late ones by due date (an ISO text sorts as the date), the rest after them; oldest first within each.
            order = f"CASE WHEN {_OPEN} AND due_date < ? THEN due_date ELSE '9999-12-31' END, created_at, id"
            order_params = [*sorted(OPEN), where.lateness_on.isoformat()]
        rows = await self.db.fetchall(
            f"SELECT * FROM requests{sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, *order_params, where.limit, where.offset],
        )
        return [_record(r) for r in rows], int(total["n"]) if total else 0
