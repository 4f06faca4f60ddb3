"""Where polls and their votes are kept (tables `consultations` and `consultation_votes`, migration 0064).

One vote per phone number and poll is the table's own UNIQUE key, so two channels answering for the
same number at the same moment (a USSD hop and an SMS on two workers) cannot both count: the second
INSERT finds the key taken and changes no row.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.scopes import service_clause
from gateway.store import Database, Row, Transaction

Within = Callable[[Transaction, "Poll"], Awaitable[None]]
"""A write committed with a poll's change (its audit entry)."""


@dataclass(frozen=True)
class NewPoll:
    """What an operator opens: the texts in every language, the window, the audience."""

    question: Mapping[str, str]
    options: tuple[Mapping[str, str], ...]
    opens_at: float
    closes_at: float
    audience_service: str | None
    """Only citizens who made a request for this service; None: everyone."""


@dataclass(frozen=True)
class Poll:
    """A stored poll."""

    id: int
    question: dict[str, str]
    options: tuple[dict[str, str], ...]
    opens_at: float
    closes_at: float
    audience_service: str | None
    created_by: str
    created_at: float
    closed_by: str | None

    def state(self, now: float) -> str:
        """`scheduled` before it opens, `open`, or `closed` from its close time on."""
        if now < self.opens_at:
            return "scheduled"
        return "open" if now < self.closes_at else "closed"


@dataclass(frozen=True)
class Tally:
    """Votes of one option on one channel."""

    option: int
    channel: str
    votes: int


def _poll(row: Row) -> Poll:
    return Poll(id=int(row["id"]), question=json.loads(row["question"]), options=tuple(json.loads(row["options"])),
                opens_at=float(row["opens_at"]), closes_at=float(row["closes_at"]), audience_service=row["audience_service"],
                created_by=row["created_by"], created_at=float(row["created_at"]), closed_by=row["closed_by"])


AUDIENCE = ("(c.audience_service IS NULL OR EXISTS (SELECT 1 FROM requests r"
            " WHERE r.phone = ? AND r.service_id = c.audience_service))")
"""A poll's audience holds the phone: everyone, or someone who made a request for its service."""


class PollStore:
    """Rows of the consultation tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, new: NewPoll, actor: str, at: float, within: Sequence[Within] = ()) -> Poll:
        """Store a poll and run the `within` writes (its audit entry) in the same transaction."""
        async with self.db.transaction() as tx:
            poll_id = await tx.insert(
                "INSERT INTO consultations (question, options, opens_at, closes_at, audience_service, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (json.dumps(dict(new.question), ensure_ascii=False), json.dumps([dict(o) for o in new.options], ensure_ascii=False),
                 new.opens_at, new.closes_at, new.audience_service, actor, at))
            poll = await self._get(tx, poll_id)
            for write in within:
                await write(tx, poll)
        return poll

    @staticmethod
    async def _get(tx: Transaction, poll_id: int) -> Poll:
        row = await tx.fetchone("SELECT * FROM consultations WHERE id = ?", (poll_id,))
        assert row is not None, "read in the transaction that wrote it"
        return _poll(row)

    async def get(self, poll_id: int) -> Poll | None:
        """A poll by id."""
        row = await self.db.fetchone("SELECT * FROM consultations WHERE id = ?", (poll_id,))
        return _poll(row) if row else None

    async def page(self, limit: int, offset: int, services: frozenset[str] | None = None) -> tuple[list[Poll], int]:
        """Polls newest first, and how many there are; with `services` (an agency scope's, gateway.scopes) only the
        polls for everyone and those whose audience is one of them."""
        scoped = service_clause("audience_service", services)
        where, params = (f" WHERE (audience_service IS NULL OR {scoped[0]})", scoped[1]) if scoped else ("", ())
        rows = await self.db.fetchall(f"SELECT * FROM consultations{where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        total = await self.db.fetchone(f"SELECT COUNT(*) AS n FROM consultations{where}", params)
        return [_poll(r) for r in rows], int(total["n"]) if total else 0

    async def close(self, poll_id: int, actor: str, at: float, within: Sequence[Within] = ()) -> Poll | None:
        """End a poll now (its close time becomes `at` unless it was earlier) with the `within` writes;
        None when there is no such poll. Closing a closed poll changes nothing and writes nothing."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE consultations SET closes_at = CASE WHEN opens_at > ? THEN opens_at ELSE ? END, closed_by = ?"
                " WHERE id = ? AND closes_at > ?", (at, at, actor, poll_id, at))
            row = await tx.fetchone("SELECT * FROM consultations WHERE id = ?", (poll_id,))
            if row is None:
                return None
            poll = _poll(row)
            if changed:
                for write in within:
                    await write(tx, poll)
        return poll

    async def open_for(self, phone: str, now: float, limit: int) -> list[Poll]:
        """Open polls whose audience holds `phone` and that it has not answered, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT c.* FROM consultations c WHERE c.opens_at <= ? AND c.closes_at > ? AND {AUDIENCE}"
            " AND NOT EXISTS (SELECT 1 FROM consultation_votes v WHERE v.consultation_id = c.id AND v.phone = ?)"
            " ORDER BY c.id LIMIT ?", (now, now, phone, phone, limit))
        return [_poll(r) for r in rows]

    async def in_audience(self, poll_id: int, phone: str) -> bool:
        """Whether `phone` is someone the poll asks."""
        return await self.db.fetchone(f"SELECT 1 AS x FROM consultations c WHERE c.id = ? AND {AUDIENCE}", (poll_id, phone)) is not None

    async def vote(self, poll_id: int, phone: str, option: int, channel: str, at: float) -> bool:
        """Count a vote; False when this phone has already answered this poll (nothing changes)."""
        changed = await self.db.execute(
            "INSERT INTO consultation_votes (consultation_id, phone, option, channel, at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (consultation_id, phone) DO NOTHING", (poll_id, phone, option, channel, at))
        return changed > 0

    async def tallies(self, poll_id: int) -> list[Tally]:
        """The votes per option and channel."""
        rows = await self.db.fetchall(
            "SELECT option, channel, COUNT(*) AS n FROM consultation_votes WHERE consultation_id = ? GROUP BY option, channel",
            (poll_id,))
        return [Tally(int(r["option"]), str(r["channel"]), int(r["n"])) for r in rows]


def counts(tallies: Sequence[Tally], options: int, channels: Sequence[str]) -> dict[str, Any]:
    """Results as the API and the console show them: per option its total and its votes per channel."""
    per = {(t.option, t.channel): t.votes for t in tallies}
    rows = [{"option": n, "votes": sum(v for (o, _), v in per.items() if o == n),
             "by_channel": {c: per.get((n, c), 0) for c in channels}} for n in range(1, options + 1)]
    return {"total": sum(per.values()), "options": rows, "by_channel": {c: sum(v for (_, ch), v in per.items() if ch == c) for c in channels}}
