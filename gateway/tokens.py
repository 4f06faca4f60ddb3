"""Operator API tokens: random bearer tokens whose SHA-256 alone is stored, each with a role.

Tokens carry 256 bits from `secrets`, so a plain SHA-256 is enough (no slow hash needed: nothing
to brute-force). Roles are ordered viewer < operator < admin; a role can do what those below it can.
Creating and revoking a token is recorded in the audit trail, in the same transaction.
Each token's `last_used_at` is kept to the minute, so stale tokens can be found and revoked without
a write on every API request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from flows.errors import PishkhanError
from gateway.audit import AuditLog
from gateway.store import Database

ROLES = ("viewer", "operator", "admin")
PREFIX = "pk_"
MAX_TOKEN_LENGTH = 128
LAST_USED_RESOLUTION = 60.0
"""Seconds `last_used_at` may lag behind: it is written at most this often per token."""


class TokenError(PishkhanError):
    """A token cannot be made as asked."""


@dataclass(frozen=True)
class TokenInfo:
    """Who a valid token belongs to."""

    id: int
    name: str
    role: str
    agencies: frozenset[str] | None = None
    """The agencies whose services this token may see and change; None: every agency (the national operator)."""

    def can(self, role: str) -> bool:
        """This token's role is `role` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def sees(self, agency: str | None) -> bool:
        """This token may see what belongs to `agency` (None or "": a service no agency owns, which only an
        unscoped token sees)."""
        return self.agencies is None or (bool(agency) and agency in self.agencies)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """Creates, checks, lists and revokes operator tokens."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.audit = AuditLog(db)

    async def create(self, role: str, name: str, *, actor: str) -> str:
        """A new token for `role`, made by `actor` (audited); the only time the token itself is seen."""
        if role not in ROLES:
            raise TokenError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        token = PREFIX + secrets.token_urlsafe(32)
        name = name.strip() or role
        async with self.db.transaction() as conn:
            token_id = await conn.insert("INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                                         (name, role, token_hash(token), time.time()))
            await self.audit.record(actor, "token.created", f"token {token_id}", {"name": name, "role": role}, conn=conn)
        return token

    async def verify(self, token: str) -> TokenInfo | None:
        """Who the token belongs to, or None for an unknown or revoked token."""
        if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return None
        digest = token_hash(token)
        row = await self.db.fetchone(
            "SELECT id, name, role, token_hash, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", (digest,))
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            return None
        await self._used(row["id"], row["last_used_at"])
        return TokenInfo(row["id"], row["name"], row["role"])

    async def _used(self, token_id: int, last_used_at: float | None) -> None:
        """Record a use, at most once a minute per token. The row just read spares most requests any
        write transaction; the SQL condition keeps racing requests and workers to one write a minute."""
        now = time.time()
        stale = now - LAST_USED_RESOLUTION
        if last_used_at is not None and last_used_at >= stale:
            return
        await self.db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                              (now, token_id, stale))

    async def list(self) -> list[dict[str, object]]:
        """Every token's id, name, role and dates, last use included (never the hash)."""
        return await self.db.fetchall("SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id")

    async def revoke(self, token_id: int, *, actor: str) -> bool:
        """Stop a token working, by `actor` (audited); False when there is no such active token."""
        async with self.db.transaction() as conn:
            row = await conn.fetchone("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING name, role",
                                      (time.time(), token_id))
            if row is None:
                return False
            await self.audit.record(actor, "token.revoked", f"token {token_id}", {"name": row["name"], "role": row["role"]}, conn=conn)
            return True
