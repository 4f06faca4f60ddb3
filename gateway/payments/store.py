"""The payments table and its history, on the gateway's SQLite database.

Every state change is one conditional UPDATE (`... WHERE state IN (<allowed sources>)`) and its
event in one transaction, so two callbacks or a callback racing the sweeper give exactly one
`paid` transition: the loser's UPDATE matches no row and it records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gateway.events.hooks as events
from gateway.observability.metrics import count_payment
from gateway.payments.links import link_key
from gateway.payments.models import CLOSED_REQUESTS, CURRENCY, Payment, PaymentEvent, sources_of
from gateway.scopes import service_clause
from gateway.store import Database, Transaction


def payment_from_row(row: Mapping[str, Any]) -> Payment:
    """A payments row as a Payment."""
    return Payment(
        id=row["id"], request_id=row["request_id"], amount=row["amount"], currency=row["currency"], provider=row["provider"],
        authority=row["authority"], ref_id=row["ref_id"], card_pan=row["card_pan"], state=row["state"], reason=row["reason"],
        csrf=row["csrf"], link_expires_at=row["link_expires_at"], link_sent_at=row["link_sent_at"], started_at=row["started_at"],
        verify_attempts=row["verify_attempts"], verified_at=row["verified_at"], synced_state=row["synced_state"],
        renewed_by=row["renewed_by"], created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _event(row: Mapping[str, Any]) -> PaymentEvent:
    return PaymentEvent(row["id"], row["payment_id"], row["at"], row["kind"], row["from_state"], row["to_state"], row["detail"])


@dataclass(frozen=True)
class PaymentFilter:
    """Operator list filters; None means any."""

    state: str | None = None
    provider: str | None = None
    request_id: int | None = None
    created_from: float | None = None
    created_before: float | None = None
    services: frozenset[str] | None = None
    """Only payments of requests for these services: an agency scope's (gateway.scopes); None: every service."""
    limit: int = 50
    offset: int = 0


async def _add_event(conn: Transaction, payment_id: int, kind: str, at: float,
                     from_state: str | None = None, to_state: str | None = None, detail: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO payment_events (payment_id, at, kind, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (payment_id, at, kind, from_state, to_state, (detail or None) and detail[:500]),
    )


FEE_WITHOUT_PAYMENT = (
    f"r.fee > 0 AND r.status NOT IN ({', '.join(repr(s) for s in sorted(CLOSED_REQUESTS))})"
    " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.request_id = r.id)"
)
"""SQL on `requests r`: an open request owing a fee with no payment at all (its submit was cut
short before payments were opened with the request itself)."""


@dataclass(frozen=True)
class NewPayment:
    """What opening a payment stores: the link's token is kept only hashed."""

    request_id: int
    amount: int
    provider: str
    token_hash: str
    csrf: str
    link_expires_at: float


async def _insert(conn: Transaction, new: NewPayment, now: float, synced: str | None = None) -> int:
    payment_id = await conn.insert(
        "INSERT INTO payments (request_id, amount, currency, provider, token_hash, csrf, link_expires_at, synced_state, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (new.request_id, new.amount, CURRENCY, new.provider, new.token_hash, new.csrf, new.link_expires_at, synced, now, now),
    )
    await _add_event(conn, payment_id, "created", now, None, "pending", f"{new.amount} {CURRENCY} via {new.provider}")
    return payment_id


class PaymentStore:
    """Payments and their events."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def open_with_request(conn: Transaction, new: NewPayment) -> None:
        """A new request's payment, written in the request's own transaction so neither commits
        without the other; the request shows it pending at once (nothing left to sync)."""
        now = time.time()
        await _insert(conn, new, now, synced="pending")
        await conn.execute("UPDATE requests SET payment_state = 'pending', updated_at = ? WHERE id = ?", (now, new.request_id))

    async def create(self, new: NewPayment, *, renews: int | None = None) -> Payment | None:
        """A pending payment with its link; None when the request already has a pending or paid one.
        With `renews`, the old payment is marked as replaced in the same transaction."""
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.lock(f"request:{new.request_id}")  # two renewals at once (two hosts): one link, not two
            if await conn.fetchone("SELECT 1 FROM payments WHERE request_id = ? AND state IN ('pending', 'paid')",
                                   (new.request_id,)) is not None:
                return None
            payment_id = await _insert(conn, new, now)
            if renews is not None:
                await conn.execute("UPDATE payments SET renewed_by = ?, updated_at = ? WHERE id = ?", (payment_id, now, renews))
                await _add_event(conn, renews, "renewed", now, detail=f"new link: payment {payment_id}")
        return await self.get(payment_id)

    async def get(self, payment_id: int) -> Payment | None:
        """A payment by id."""
        row = await self.db.fetchone("SELECT * FROM payments WHERE id = ?", (payment_id,))
        return payment_from_row(row) if row else None

    async def by_token_hash(self, token_hash: str) -> Payment | None:
        """The payment a link token opens."""
        row = await self.db.fetchone("SELECT * FROM payments WHERE token_hash = ?", (token_hash,))
        return payment_from_row(row) if row else None

    async def by_authority(self, provider: str, authority: str) -> Payment | None:
        """The payment a provider callback names."""
        row = await self.db.fetchone("SELECT * FROM payments WHERE provider = ? AND authority = ?", (provider, authority))
        return payment_from_row(row) if row else None

    async def for_request(self, request_id: int) -> list[Payment]:
        """A request's payments, oldest first."""
        return [payment_from_row(r) for r in await self.db.fetchall("SELECT * FROM payments WHERE request_id = ? ORDER BY id", (request_id,))]

    async def events(self, payment_id: int) -> list[PaymentEvent]:
        """A payment's history, oldest first."""
        return [_event(r) for r in await self.db.fetchall("SELECT * FROM payment_events WHERE payment_id = ? ORDER BY id", (payment_id,))]

    async def claim_start(self, payment_id: int, now: float) -> bool:
        """Mark the link used (single use): only a pending, unexpired, never-started payment can be claimed."""
        async with self.db.transaction() as conn:
            return await conn.execute(
                "UPDATE payments SET started_at = ?, updated_at = ? WHERE id = ? AND state = 'pending' AND started_at IS NULL"
                " AND link_expires_at > ?", (now, now, payment_id, now),
            ) == 1

    async def release_start(self, payment_id: int, why: str) -> None:
        """The provider could not open the payment: the link may be used again."""
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE payments SET started_at = NULL, updated_at = ? WHERE id = ? AND authority IS NULL", (now, payment_id))
            await _add_event(conn, payment_id, "start_failed", now, detail=why)

    async def set_authority(self, payment_id: int, authority: str) -> None:
        """Record the provider's authority for a claimed payment."""
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE payments SET authority = ?, updated_at = ? WHERE id = ? AND authority IS NULL",
                               (authority, now, payment_id))
            await _add_event(conn, payment_id, "started", now, detail=f"authority {authority}")

    async def note_verify(self, payment_id: int, detail: str) -> None:
        """Count a verify attempt and keep what the provider said."""
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE payments SET verify_attempts = verify_attempts + 1, verified_at = ?, updated_at = ? WHERE id = ?",
                               (now, now, payment_id))
            await _add_event(conn, payment_id, "verify", now, detail=detail)

    async def transition(self, payment_id: int, to: str, *, reason: str | None = None,
                         ref_id: str | None = None, card_pan: str | None = None) -> Payment | None:
        """Move to `to` if the state machine allows it from the current state (checked in the UPDATE
        itself); the updated payment, or None when another writer got there first or it is not allowed.
        A payment becoming paid expires any other pending payment of the same request."""
        now = time.time()
        sources = sources_of(to)
        marks = ", ".join("?" * len(sources))
        async with self.db.transaction() as conn:
            await conn.lock(f"payment:{payment_id}")  # the state read here is the one the UPDATE replaces
            row = await conn.fetchone(f"SELECT state, request_id FROM payments WHERE id = ? AND state IN ({marks})",
                                      (payment_id, *sources))
            if row is None:
                return None
            if to == "paid":
                await self._expire_others(conn, payment_id, row["request_id"], now)
            changed = await conn.execute(
                f"UPDATE payments SET state = ?, reason = ?, ref_id = COALESCE(?, ref_id), card_pan = COALESCE(?, card_pan),"
                f" updated_at = ? WHERE id = ? AND state IN ({marks})",
                (to, reason, ref_id, card_pan, now, payment_id, *sources),
            )
            if changed != 1:
                return None
            await _add_event(conn, payment_id, to, now, row["state"], to, reason or (f"ref {ref_id}" if ref_id else None))
            await events.payment_changed(conn, payment_id, now)  # paid or failed: the agency's systems are told in the same commit
        count_payment(to)
        return await self.get(payment_id)

    @staticmethod
    async def _expire_others(conn: Transaction, payment_id: int, request_id: int, now: float) -> None:
        others = [r["id"] for r in await conn.fetchall("SELECT id FROM payments WHERE request_id = ? AND id != ? AND state = 'pending'",
                                                       (request_id, payment_id))]
        why = f"the request was paid by payment {payment_id}"
        for other in others:
            await conn.execute("UPDATE payments SET state = 'expired', reason = ?, updated_at = ? WHERE id = ?", (why, now, other))
            await _add_event(conn, other, "expired", now, "pending", "expired", why)

    async def rotate_link(self, payment: Payment, token_hash: str) -> bool:
        """A new token for a link that never reached the citizen (the old one was never sent). Only
        if the row is as `payment` was read: of two sweepers (two workers) that read it, one wins and
        sends; the other's token would be dead on arrival, so it sends nothing."""
        async with self.db.transaction() as conn:
            return await conn.execute(
                "UPDATE payments SET token_hash = ?, updated_at = ? WHERE id = ? AND link_sent_at IS NULL AND updated_at = ?",
                (token_hash, time.time(), payment.id, payment.updated_at)) == 1

    async def link_queued(self, payment_id: int) -> bool:
        """The message with the link of the payment's current token is in the outbox: queued just
        before an interruption kept it from being marked sent."""
        row = await self.db.fetchone("SELECT token_hash FROM payments WHERE id = ?", (payment_id,))
        if row is None:
            return False
        return await self.db.fetchone("SELECT 1 FROM outbox WHERE idempotency_key = ?", (link_key(payment_id, row["token_hash"]),)) is not None

    async def without_payment(self, created_before: float, limit: int) -> list[int]:
        """Ids of open requests made before `created_before` that owe a fee and have no payment."""
        rows = await self.db.fetchall(
            f"SELECT r.id FROM requests r WHERE {FEE_WITHOUT_PAYMENT} AND r.created_at < ? ORDER BY r.id LIMIT ?", (created_before, limit))
        return [r["id"] for r in rows]

    async def mark_link_sent(self, payment_id: int, detail: str) -> None:
        """The link message is in the outbox."""
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE payments SET link_sent_at = ?, updated_at = ? WHERE id = ?", (now, now, payment_id))
            await _add_event(conn, payment_id, "link_sent", now, detail=detail)

    async def mark_synced(self, payment_id: int, state: str) -> None:
        """The request and the citizen have been told about `state`."""
        await self.db.execute("UPDATE payments SET synced_state = ? WHERE id = ? AND state = ?", (state, payment_id, state))

    async def unsent_links(self, created_before: float, limit: int) -> list[Payment]:
        """Pending payments made before `created_before` whose link message is not in the outbox (a
        crash in between). Younger ones are left alone: their submit may be queuing the link right now."""
        rows = await self.db.fetchall(
            "SELECT * FROM payments WHERE state = 'pending' AND link_sent_at IS NULL AND link_expires_at > ? AND created_at < ?"
            " ORDER BY id LIMIT ?",
            (time.time(), created_before, limit))
        return [payment_from_row(r) for r in rows]

    async def unsynced(self, limit: int) -> list[Payment]:
        """Payments whose state the request and the citizen have not been told about."""
        rows = await self.db.fetchall(
            "SELECT * FROM payments WHERE synced_state IS DISTINCT FROM state AND (state != 'pending' OR link_sent_at IS NOT NULL)"
            " ORDER BY id LIMIT ?", (limit,))
        return [payment_from_row(r) for r in rows]

    async def to_verify(self, started_before: float, asked_before: float, limit: int) -> list[Payment]:
        """Pending payments sent to the provider long enough ago with no answer, not asked recently."""
        rows = await self.db.fetchall(
            "SELECT * FROM payments WHERE state = 'pending' AND authority IS NOT NULL AND started_at < ?"
            " AND (verified_at IS NULL OR verified_at < ?) ORDER BY started_at LIMIT ?",
            (started_before, asked_before, limit))
        return [payment_from_row(r) for r in rows]

    async def unstarted_expired(self, now: float, limit: int) -> list[Payment]:
        """Pending payments whose link expired before anyone went to the provider."""
        rows = await self.db.fetchall(
            "SELECT * FROM payments WHERE state = 'pending' AND authority IS NULL AND link_expires_at <= ? ORDER BY id LIMIT ?",
            (now, limit))
        return [payment_from_row(r) for r in rows]

    async def search(self, where: PaymentFilter) -> tuple[list[Payment], int]:
        """A page of payments, newest first, and how many match in all."""
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (("state = ?", where.state), ("provider = ?", where.provider), ("request_id = ?", where.request_id),
                              ("created_at >= ?", where.created_from), ("created_at < ?", where.created_before)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if (scoped := service_clause("service_id", where.services)) is not None:
            clauses.append(f"request_id IN (SELECT id FROM requests WHERE {scoped[0]})")
            params.extend(scoped[1])
        sql_where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = await self.db.fetchone(f"SELECT count(*) AS n FROM payments{sql_where}", params)
        rows = await self.db.fetchall(f"SELECT * FROM payments{sql_where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                      [*params, where.limit, where.offset])
        return [payment_from_row(r) for r in rows], int(total["n"]) if total else 0

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Read-only report queries (reconcile)."""
        return await self.db.fetchall(sql, params)
