"""`feedback_surveys`: one survey per request, its answer, and what operators read of them.

Every write is one statement whose WHERE says when it may happen (a survey takes its first answer
only, and only before it expires), so two answers racing on two workers or hosts make one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gateway.events.hooks as events
from gateway.scopes import service_clause
from gateway.store import Database, Row

RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Survey:
    """One survey as stored."""

    id: int
    request_id: int
    service_id: str
    channel: str
    address: str
    lang: str
    event_id: int
    asked_at: float
    expires_at: float
    rating: int | None
    comment: str | None
    answered_at: float | None

    def open_at(self, now: float) -> bool:
        """Still taking its first answer."""
        return self.rating is None and now < self.expires_at


@dataclass(frozen=True)
class Answer:
    """An answered survey as operators read it."""

    survey: Survey
    tracking_code: str


@dataclass(frozen=True)
class Summary:
    """One service's satisfaction over a period."""

    service_id: str
    asked: int
    answered: int
    average: float | None
    distribution: dict[int, int]


@dataclass(frozen=True)
class Period:
    """Which surveys: of one service (None: all), between two Unix times (None: unbounded), of the services an
    agency scope sees (gateway.scopes; None: every service)."""

    service_id: str | None = None
    since: float | None = None
    until: float | None = None
    services: frozenset[str] | None = None


def _survey(row: Row) -> Survey:
    return Survey(**{name: row[name] for name in Survey.__dataclass_fields__})


_COLUMNS = ", ".join(f"s.{name}" for name in Survey.__dataclass_fields__)


def _where(column: str, period: Period) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for sql, value in (("s.service_id = ?", period.service_id), (f"s.{column} >= ?", period.since), (f"s.{column} < ?", period.until)):
        if value is not None:
            clauses.append(sql)
            params.append(value)
    if (scoped := service_clause("s.service_id", period.services)) is not None:
        clauses.append(scoped[0])
        params.extend(scoped[1])
    return (" AND ".join(clauses) or "1 = 1"), params


class SurveyStore:
    """The surveys table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ask(self, request_id: int, service_id: str, channel: str, address: str, lang: str, event_id: int,
                  now: float, expires_at: float) -> Survey:
        """The request's survey: made now, or the one an earlier event made (one survey per request)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO feedback_surveys (request_id, service_id, channel, address, lang, event_id, asked_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
                (request_id, service_id, channel, address, lang, event_id, now, expires_at))
            row = await conn.fetchone(f"SELECT {_COLUMNS} FROM feedback_surveys s WHERE s.request_id = ?", (request_id,))
        assert row is not None, "inserted or already there, in this transaction"
        return _survey(row)

    async def get(self, survey_id: int) -> Survey | None:
        """One survey by id."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM feedback_surveys s WHERE s.id = ?", (survey_id,))
        return None if row is None else _survey(row)

    async def latest(self, address: str, since: float) -> list[Survey]:
        """The surveys asked of `address` that expire after `since`, newest first (a handful at most)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback_surveys s WHERE s.address = ? AND s.expires_at > ? ORDER BY s.asked_at DESC, s.id DESC LIMIT 10",
            (address, since))
        return [_survey(row) for row in rows]

    async def answer(self, survey_id: int, rating: int, comment: str | None, now: float) -> bool:
        """Record the first answer while the survey is open; False when it was answered or had expired."""
        async with self.db.transaction() as conn:
            answered = await conn.execute(
                "UPDATE feedback_surveys SET rating = ?, comment = ?, answered_at = ? WHERE id = ? AND rating IS NULL AND expires_at > ?",
                (rating, comment, now, survey_id, now)) == 1
            if answered:
                await events.feedback_received(conn, survey_id, now)  # the agency's systems are told in the same commit
        return answered

    async def add_comment(self, survey_id: int, comment: str) -> bool:
        """A bot citizen's comment after their rating; False when the survey already has one."""
        async with self.db.transaction() as conn:
            return await conn.execute(
                "UPDATE feedback_surveys SET comment = ? WHERE id = ? AND rating IS NOT NULL AND comment IS NULL", (comment, survey_id)) == 1

    async def answers(self, period: Period, limit: int, offset: int) -> tuple[list[Answer], int]:
        """Answered surveys whose answer came within the period, newest answer first, and how many there are."""
        where, params = _where("answered_at", period)
        where += " AND s.rating IS NOT NULL"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS}, r.tracking_code FROM feedback_surveys s JOIN requests r ON r.id = s.request_id WHERE {where}"
            " ORDER BY s.answered_at DESC, s.id DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        total = await self.db.fetchone(f"SELECT COUNT(*) AS n FROM feedback_surveys s WHERE {where}", params)
        return [Answer(_survey(row), row["tracking_code"]) for row in rows], int(total["n"]) if total else 0

    async def summary(self, period: Period) -> list[Summary]:
        """Per service, the surveys asked within the period: how many, how many answered, the average and each rating's count."""
        where, params = _where("asked_at", period)
        rows = await self.db.fetchall(
            f"SELECT s.service_id, s.rating, COUNT(*) AS n FROM feedback_surveys s WHERE {where}"
            " GROUP BY s.service_id, s.rating ORDER BY s.service_id", params)
        counts: dict[str, dict[int | None, int]] = {}
        for row in rows:
            counts.setdefault(row["service_id"], {})[row["rating"]] = int(row["n"])
        return [_summary(service_id, by_rating) for service_id, by_rating in counts.items()]


def _summary(service_id: str, by_rating: dict[int | None, int]) -> Summary:
    distribution = {rating: by_rating.get(rating, 0) for rating in RATINGS}
    answered = sum(distribution.values())
    total = sum(rating * n for rating, n in distribution.items())
    return Summary(service_id, answered + by_rating.get(None, 0), answered, round(total / answered, 2) if answered else None, distribution)
