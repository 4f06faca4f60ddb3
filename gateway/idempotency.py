"""Idempotency keys of the operator API, kept in the shared store so every worker and host sees the same ones.

A request carrying an `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) claims its key in one
short transaction: a UNIQUE (token, key) row holding the request's fingerprint, in flight until answered.
Where the answer follows a change (a status transition), it is written in the change's own transaction
(`settle`), so no crash can leave the change committed and its answer lost: a retry then replays the
answer, or finds neither and does the change. A bulk request writes each item's answer in that item's
transaction (`settle_part`), so a retry after a crash half way resumes it instead of repeating it.

A claim whose worker died before answering is taken over once `held_until` passes. The takeover adds
one to `attempt`, and every answer is written only where its attempt is still the current one, so a
worker that was only slow, not dead, has its change rolled back (ClaimLost) instead of doing it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

from flows.clock import Clock
from flows.errors import PishkhanError
from gateway.store import Database, Transaction

log = logging.getLogger(__name__)

HOLD = 60.0
"""Seconds a claim stays in flight without news before a retry may take it over. Long enough for any one
answer (a bulk item renews it); short, because a retry after a crash waits this long at most."""
PURGE_BATCH = 100
"""Expired keys removed by each claim: the purge keeps pace with the claims without making one of them slow."""
_PURGE = "DELETE FROM idempotency_keys WHERE id IN (SELECT id FROM idempotency_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)"
"""The oldest expired keys (their bulk items' answers go with them, ON DELETE CASCADE)."""


class Refusal(Enum):
    """A claim that cannot be made."""

    MISMATCH = "the key was used with another request"
    BUSY = "the key's first request is still being answered"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as stored: its status and its JSON text."""

    status: int
    body: str


@dataclass
class Claim:
    """This run's hold on a key: its row, which attempt it is, and the bulk items an earlier attempt answered."""

    id: int
    attempt: int
    parts: dict[str, str] = field(default_factory=dict)


class ClaimLost(PishkhanError):
    """Another run took the key over (this one was thought dead): its change must not commit."""


class IdempotencyKeys:
    """Claims keys, stores their answers and replays them; keys expire `hours` after their first use."""

    def __init__(self, db: Database, clock: Clock, hours: float) -> None:
        self.db = db
        self.clock = clock
        self.keep = hours * 3600

    async def claim(self, token_id: int, key: str, fingerprint: str) -> Claim | Answer | Refusal:
        """A claim on a fresh (or expired) key; the stored Answer of a key already answered; or why not."""
        now = self.clock()
        async with self.db.transaction() as conn:
            await conn.lock(f"idempotency:{token_id}:{key}")  # two first uses at once, on any host: the second sees the first
            await conn.execute(_PURGE, (now, PURGE_BATCH))
            row = await conn.fetchone("SELECT * FROM idempotency_keys WHERE token_id = ? AND key = ?", (token_id, key))
            if row is not None and row["expires_at"] <= now:  # expired but past this claim's share of the purge
                await conn.execute("DELETE FROM idempotency_keys WHERE id = ?", (row["id"],))
                row = None
            if row is None:
                key_id = await conn.insert(
                    "INSERT INTO idempotency_keys (token_id, key, fingerprint, created_at, expires_at, held_until) VALUES (?, ?, ?, ?, ?, ?)",
                    (token_id, key, fingerprint, now, now + self.keep, now + HOLD))
                return Claim(key_id, 1)
            if row["fingerprint"] != fingerprint:
                return Refusal.MISMATCH
            if row["status"] is not None:
                return Answer(row["status"], row["body"])
            if row["held_until"] > now:
                return Refusal.BUSY
            # Its run died unanswered. The WHERE makes a late answer of that run (committing meanwhile) win over the takeover.
            taken = await conn.execute("UPDATE idempotency_keys SET attempt = ?, held_until = ? WHERE id = ? AND attempt = ? AND status IS NULL",
                                       (row["attempt"] + 1, now + HOLD, row["id"], row["attempt"]))
            if taken != 1:
                return Refusal.BUSY
            parts = await conn.fetchall("SELECT part, body FROM idempotency_parts WHERE key_id = ?", (row["id"],))
        log.warning("idempotency key %s of token %s: its first run died unanswered; attempt %d resumes it", row["id"], token_id, row["attempt"] + 1)
        return Claim(row["id"], row["attempt"] + 1, {p["part"]: p["body"] for p in parts})

    async def purge(self, batch: int = 10 * PURGE_BATCH) -> int:
        """Delete every expired key, `batch` per short transaction; how many. For a quiet deployment, whose
        claims are too few to purge them (gateway.idempotency_purge runs it); safe on any number of workers."""
        purged = 0
        while True:
            deleted = await self.db.execute(_PURGE, (self.clock(), batch))
            purged += deleted
            if deleted < batch:
                return purged

    async def settle(self, conn: Transaction, claim: Claim, answer: Answer) -> None:
        """Store the answer in the change's transaction `conn`; ClaimLost (so the change rolls back) if another run took the key."""
        if await conn.execute("UPDATE idempotency_keys SET status = ?, body = ? WHERE id = ? AND attempt = ? AND status IS NULL",
                              (answer.status, answer.body, claim.id, claim.attempt)) != 1:
            raise ClaimLost(f"idempotency key {claim.id} was taken over by another run")

    async def settle_part(self, conn: Transaction, claim: Claim, part: str, body: str) -> None:
        """Store one bulk item's answer in its change's transaction, holding the claim for another HOLD; ClaimLost as `settle`."""
        if await conn.execute("UPDATE idempotency_keys SET held_until = ? WHERE id = ? AND attempt = ? AND status IS NULL",
                              (self.clock() + HOLD, claim.id, claim.attempt)) != 1:
            raise ClaimLost(f"idempotency key {claim.id} was taken over by another run")
        await conn.execute("INSERT INTO idempotency_parts (key_id, part, body) VALUES (?, ?, ?)", (claim.id, part, body))

    async def finish(self, claim: Claim, answer: Answer) -> None:
        """Store an answer that follows no change of its own (a refusal, a bulk request's whole answer)."""
        try:
            async with self.db.transaction() as conn:
                await self.settle(conn, claim, answer)
        except ClaimLost:  # the run that took over answers for the key; this answer is still true for its caller
            log.warning("idempotency key %s: answered by another run meanwhile", claim.id)

    async def release(self, claim: Claim) -> None:
        """Give up an unanswered claim at once (this run failed unexpectedly), so a retry need not wait for HOLD to pass."""
        await self.db.execute("UPDATE idempotency_keys SET held_until = 0 WHERE id = ? AND attempt = ? AND status IS NULL",
                              (claim.id, claim.attempt))
