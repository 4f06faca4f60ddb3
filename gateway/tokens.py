"""Operator API tokens: random bearer tokens whose SHA-256 alone is stored, each with a role, the
agencies it is limited to (none: every agency, the national operator) and an optional expiry.

Tokens carry 256 bits from `secrets`, so a plain SHA-256 is enough (no slow hash needed: nothing
to brute-force). Roles are ordered viewer < operator < admin; a role can do what those below it can.
Creating, rotating and revoking a token is recorded in the audit trail, in the same transaction.
Each token's `last_used_at` is kept to the minute, so stale tokens can be found and revoked without
a write on every API request.

Rotation makes a new secret with the same name, role, scope and expiry and gives the old one a grace
period (its `expires_at` is brought forward to the end of it), so an agency's systems can switch over
without an outage and the old secret stops working on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from flows.dates import iso_utc
from flows.errors import PishkhanError
from gateway.audit import AuditLog
from gateway.store import Database, Transaction

ROLES = ("viewer", "operator", "admin")
PREFIX = "pk_"
MAX_TOKEN_LENGTH = 128
LAST_USED_RESOLUTION = 60.0
"""Seconds `last_used_at` may lag behind: it is written at most this often per token."""


class TokenError(PishkhanError):
    """A token cannot be made as asked."""


class TokenExpired(PishkhanError):
    """A token that was valid has expired; the words say when (for the 401 answer)."""


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


def stored_agencies(agencies: Iterable[str] | None) -> str | None:
    """How a scope is kept in a column: sorted ids joined by commas; None (every agency) stays NULL."""
    return None if agencies is None else ",".join(sorted(set(agencies)))


def read_agencies(stored: str | None) -> frozenset[str] | None:
    """The scope a column holds (stored_agencies' inverse)."""
    return None if stored is None else frozenset(stored.split(","))


async def checked_agencies(conn: Database | Transaction, agencies: Iterable[str] | None) -> str | None:
    """A scope as stored, after checking every agency is one the catalogue names; TokenError naming the unknown ones."""
    if agencies is None:
        return None
    wanted = set(agencies)
    if not wanted:
        raise TokenError("agency: give at least one agency, or none at all for every agency")
    known = {row["id"] for row in await conn.fetchall("SELECT id FROM agencies")}
    unknown = sorted(wanted - known)
    if unknown:
        raise TokenError(f"agency: unknown {', '.join(unknown)}; the catalogue's agencies are {', '.join(sorted(known)) or 'none'}")
    return stored_agencies(wanted)


class TokenStore:
    """Creates, checks, lists, rotates and revokes operator tokens."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.audit = AuditLog(db)

    async def create(self, role: str, name: str, *, actor: str, agencies: Iterable[str] | None = None,
                     expires_at: float | None = None) -> str:
        """A new token for `role`, limited to `agencies` (None: every agency) until `expires_at` (None: no end),
        made by `actor` (audited); the only time the token itself is seen."""
        if role not in ROLES:
            raise TokenError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        now = time.time()
        if expires_at is not None and expires_at <= now:
            raise TokenError(f"expires: {iso_utc(expires_at)} is already past")
        name = name.strip() or role
        async with self.db.transaction() as conn:
            scope = await checked_agencies(conn, agencies)
            token, token_id = await self._insert(conn, name, role, scope, expires_at, now)
            await self.audit.record(actor, "token.created", f"token {token_id}", _detail(name, role, scope, expires_at), conn=conn)
        return token

    async def _insert(self, conn: Transaction, name: str, role: str, scope: str | None, expires_at: float | None,
                      now: float) -> tuple[str, int]:
        token = PREFIX + secrets.token_urlsafe(32)
        token_id = await conn.insert("INSERT INTO api_tokens (name, role, token_hash, created_at, agencies, expires_at)"
                                     " VALUES (?, ?, ?, ?, ?, ?)", (name, role, token_hash(token), now, scope, expires_at))
        return token, token_id

    async def verify(self, token: str) -> TokenInfo | None:
        """Who the token belongs to, or None for an unknown or revoked token; TokenExpired for one past its expiry."""
        if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return None
        digest = token_hash(token)
        row = await self.db.fetchone(
            "SELECT id, name, role, token_hash, last_used_at, agencies, expires_at, replaced_by FROM api_tokens"
            " WHERE token_hash = ? AND revoked_at IS NULL", (digest,))
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            return None
        if row["expires_at"] is not None and row["expires_at"] <= time.time():
            why = f"rotated (token {row['replaced_by']} replaces it)" if row["replaced_by"] else "expired"
            raise TokenExpired(f"token {row['id']} {why}: it stopped working at {iso_utc(row['expires_at'])}; "
                               "ask for a new one (`pishkhan tokens create` or `pishkhan tokens rotate`)")
        await self._used(row["id"], row["last_used_at"])
        return TokenInfo(row["id"], row["name"], row["role"], read_agencies(row["agencies"]))

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
        """Every token's id, name, role, scope and dates, last use and expiry included (never the hash)."""
        return await self.db.fetchall("SELECT id, name, role, agencies, created_at, last_used_at, expires_at, replaced_by, revoked_at"
                                      " FROM api_tokens ORDER BY id")

    async def rotate(self, token_id: int, *, grace: float, actor: str) -> tuple[int, str]:
        """A new token with `token_id`'s name, role, scope and expiry (its id and secret); the old one keeps working
        `grace` seconds more (never longer than it would have), then stops. Audited; TokenError when there is no
        such active token or it was rotated already."""
        now = time.time()
        async with self.db.transaction() as conn:
            await conn.lock(f"api_token:{token_id}")  # two rotations at once: the second sees the first's
            row = await conn.fetchone("SELECT name, role, agencies, expires_at, replaced_by FROM api_tokens"
                                      " WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", (token_id, now))
            if row is None:
                raise TokenError(f"no active token has id {token_id} (see `pishkhan tokens list`)")
            if row["replaced_by"] is not None:
                raise TokenError(f"token {token_id} was rotated already: token {row['replaced_by']} replaces it")
            token, new_id = await self._insert(conn, row["name"], row["role"], row["agencies"], row["expires_at"], now)
            ends = min(now + grace, row["expires_at"] or now + grace)
            await conn.execute("UPDATE api_tokens SET replaced_by = ?, expires_at = ? WHERE id = ?", (new_id, ends, token_id))
            await self.audit.record(actor, "token.rotated", f"token {token_id}",
                                    {**_detail(row["name"], row["role"], row["agencies"], row["expires_at"]), "replaced_by": new_id,
                                     "old_works_until": iso_utc(ends)}, conn=conn)
        return new_id, token

    async def revoke(self, token_id: int, *, actor: str) -> bool:
        """Stop a token working, by `actor` (audited); False when there is no such active token."""
        async with self.db.transaction() as conn:
            row = await conn.fetchone("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING name, role",
                                      (time.time(), token_id))
            if row is None:
                return False
            await self.audit.record(actor, "token.revoked", f"token {token_id}", {"name": row["name"], "role": row["role"]}, conn=conn)
            return True


def _detail(name: str, role: str, scope: str | None, expires_at: float | None) -> dict[str, object]:
    """What the audit trail says about a token: never its secret; its agencies and expiry when it has them."""
    return {"name": name, "role": role, **({"agencies": scope.split(",")} if scope else {}),
            **({"expires_at": iso_utc(expires_at)} if expires_at else {})}
