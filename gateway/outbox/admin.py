"""Operators' view of the outbox: find messages by state, channel and kind, and send dead ones again.

Shared by the API (`/api/v1/outbox`) and the CLI (`pishkhan outbox`), so both see and change the
outbox the same way. A retry only rewrites the SQLite row (due now, attempts from zero): the
polling dispatcher picks it up on its next pass (at once when woken in the same process), and with
Redis the stream dispatcher's periodic reconciliation publishes due rows missing from the stream,
so nothing else needs telling. Each retry is one conditional UPDATE inside an immediate
transaction, so two operators retrying at once (in one process or several) make one retry; the
audit trail's `outbox.retried` row commits with it, naming who retried.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.dates import iso_utc
from flows.errors import PishkhanError
from flows.masking import masked
from gateway.audit import AuditLog
from gateway.outbox import Outbox
from gateway.scopes import service_clause
from gateway.store import Transaction

log = logging.getLogger(__name__)

STATES = ("pending", "sending", "sent", "failed", "dead", "suppressed")
RETRYABLE = ("dead", "failed")
"""States an operator may send again: the dispatcher gave up (dead) or the provider refused (failed)."""

_WHY_NOT = {
    "pending": "it is already waiting to be sent",
    "sending": "it is being sent right now",
    "sent": "it was sent; it is never sent twice",
    "suppressed": "the recipient opted out of these messages",
}

_RETRY = "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?"


@dataclass(frozen=True)
class OutboxRow:
    """One outbox message as operators see it; `text` and `meta` are for those allowed to read them."""

    id: int
    channel: str
    address: str
    kind: str
    state: str
    attempts: int
    last_error: str | None
    delivery: str | None
    provider: str | None
    provider_message_id: str | None
    created_at: float
    updated_at: float
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    service_id: str | None = None
    """The service the message is about (an agency scope sees it); None for one about none (a conversation's reply)."""

    def as_json(self, full: bool = False) -> dict[str, Any]:
        """The row for an API answer or `--json`: address masked and no text or meta (they can hold
        payment-link tokens and personal data) unless `full`, for operators acting on the message."""
        shown = {
            "id": self.id, "channel": self.channel, "address": self.address if full else masked(self.address), "kind": self.kind,
            "state": self.state, "attempts": self.attempts, "last_error": self.last_error, "delivery": self.delivery,
            "provider": self.provider, "provider_message_id": self.provider_message_id,
            "created_at": iso_utc(self.created_at), "updated_at": iso_utc(self.updated_at),
        }
        return {**shown, "text": self.text, "meta": dict(self.meta)} if full else shown


@dataclass(frozen=True)
class OutboxFilter:
    """List filters, None meaning any; newest first, only ids below `before_id` (the next page)."""

    state: str | None = None
    channel: str | None = None
    kind: str | None = None
    limit: int = 50
    before_id: int | None = None
    services: frozenset[str] | None = None
    """Only messages about these services: an agency scope's (gateway.scopes); None: every message."""


@dataclass(frozen=True)
class Retried:
    """A message put back to pending, with what it was and why it had stopped."""

    id: int
    previous_state: str
    last_error: str | None

    def as_json(self) -> dict[str, Any]:
        """What an operator is told about the retry."""
        return {"id": self.id, "state": "pending", "previous_state": self.previous_state, "last_error": self.last_error}


class OutboxAdminError(PishkhanError):
    """An operator's outbox action that cannot be done; the words say why."""


class MessageNotFound(OutboxAdminError):
    """No outbox message has this id."""


class NotRetryable(OutboxAdminError):
    """The message is in a state that must not be sent again."""

    def __init__(self, message_id: int, state: str) -> None:
        self.state = state
        super().__init__(f"outbox message {message_id} is {state}: {_WHY_NOT.get(state, 'it cannot be retried')}; "
                         f"only {' or '.join(RETRYABLE)} messages can be retried")


def _row(raw: Mapping[str, Any]) -> OutboxRow:
    return OutboxRow(
        id=raw["id"], channel=raw["channel"], address=raw["address"], kind=raw["kind"], state=raw["state"],
        attempts=raw["attempts"], last_error=raw["last_error"], delivery=raw["delivery"], provider=raw["provider"],
        provider_message_id=raw["provider_message_id"], created_at=raw["created_at"], updated_at=raw["updated_at"],
        text=raw["text"], meta=json.loads(raw["meta"] or "{}"), service_id=raw["service_id"],
    )


class OutboxAdmin:
    """Reads and retries outbox rows for operators."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.audit = AuditLog(outbox.db, outbox.clock)

    async def search(self, where: OutboxFilter) -> list[OutboxRow]:
        """Matching messages, newest first, at most `where.limit`."""
        clauses, params = [], []
        for column in ("state", "channel", "kind"):
            value = getattr(where, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if where.before_id is not None:
            clauses.append("id < ?")
            params.append(where.before_id)
        if (scoped := service_clause("service_id", where.services)) is not None:
            clauses.append(scoped[0])
            params.extend(scoped[1])
        sql = "SELECT * FROM outbox" + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY id DESC LIMIT ?"
        return [_row(r) for r in await self.outbox.db.fetchall(sql, (*params, where.limit))]

    async def get(self, message_id: int) -> OutboxRow | None:
        """One message, or None."""
        raw = await self.outbox.get(message_id)
        return None if raw is None else _row(raw)

    async def retry(self, message_id: int, actor: str) -> Retried:
        """Put a dead or failed message back to pending, due now, attempts from zero; wakes the dispatcher.
        MessageNotFound or NotRetryable otherwise (a sent message is never sent again). `actor` is audited."""
        now = self.outbox.clock()
        async with self.outbox.db.transaction() as conn:
            await conn.lock(f"outbox:{message_id}")  # two operators at once: the second sees the first's retry
            row = await conn.fetchone("SELECT state, last_error FROM outbox WHERE id = ?", (message_id,))
            if row is None:
                raise MessageNotFound(f"no outbox message has id {message_id}")
            if row["state"] not in RETRYABLE:
                raise NotRetryable(message_id, row["state"])
            await conn.execute(f"{_RETRY} WHERE id = ? AND state = ?", (now, now, message_id, row["state"]))
            await self._audit(conn, actor, message_id, row["state"], row["last_error"])
        self.outbox.wake.set()
        log.info("outbox %d retried by %s (was %s: %s)", message_id, actor, row["state"], row["last_error"])
        return Retried(message_id, row["state"], row["last_error"])

    async def retry_dead(self, actor: str) -> list[Retried]:
        """Put every dead message back to pending at once; what was retried. `actor` is audited."""
        now = self.outbox.clock()
        async with self.outbox.db.transaction() as conn:
            rows = await conn.fetchall(f"{_RETRY} WHERE state = 'dead' RETURNING id, last_error", (now, now))
            for row in rows:
                await self._audit(conn, actor, row["id"], "dead", row["last_error"])
        self.outbox.wake.set()
        log.info("outbox: %d dead messages retried by %s", len(rows), actor)
        return sorted((Retried(r["id"], "dead", r["last_error"]) for r in rows), key=lambda r: r.id)

    async def _audit(self, conn: Transaction, actor: str, message_id: int, previous: str, last_error: str | None) -> None:
        await self.audit.record(actor, "outbox.retried", f"outbox {message_id}", {"previous_state": previous, "last_error": last_error},
                                conn=conn)
