"""Signed-in browsers: a session per sign-in, named by a random cookie whose SHA-256 alone is stored.

Each session carries its own form token (CSRF), checked on every form the console receives. A
session ends on sign-out, after `idle_minutes` with no request, when its user's password changes
or the account is disabled. `last_seen` is written at most once a minute per session, so reading
pages costs no write (the idle limit is kept to within that minute).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.console.settings import ConsoleSettings
from gateway.console.users import User, user_of
from gateway.store import Database

SEEN_RESOLUTION = 60.0
MAX_COOKIE = 128


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request's cookie, and the session's form token."""

    user: User
    csrf: str
    cookie: str


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("ascii", "replace")).hexdigest()


class Logins:
    """Starts, finds and ends console sessions."""

    def __init__(self, db: Database, settings: ConsoleSettings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db, self.settings, self.clock = db, settings, clock

    async def start(self, user: User) -> SignedIn:
        """A new session for `user`; the cookie value is only ever in the answer that sets it. Sessions
        left idle past the limit are removed here, so the table holds only live ones."""
        await self.db.execute("DELETE FROM console_sessions WHERE last_seen < ?", (self.clock() - self.settings.idle_minutes * 60,))
        cookie, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
        await self.db.execute("INSERT INTO console_sessions (id_hash, user_id, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                              (_digest(cookie), user.id, csrf, now, now))
        return SignedIn(user, csrf, cookie)

    async def find(self, cookie: str) -> SignedIn | None:
        """The live session of this cookie, or None (unknown, idle too long, account disabled)."""
        if not cookie or len(cookie) > MAX_COOKIE:
            return None
        row = await self.db.fetchone(
            "SELECT s.csrf, s.last_seen, u.id, u.name, u.role, u.language, u.created_at, u.locked_until, u.disabled_at, u.agencies "
            "FROM console_sessions s JOIN console_users u ON u.id = s.user_id WHERE s.id_hash = ?", (_digest(cookie),))
        now = self.clock()
        if row is None:
            return None
        if row["disabled_at"] is not None or now - row["last_seen"] > self.settings.idle_minutes * 60:
            await self.end(cookie)
            return None
        if now - row["last_seen"] > SEEN_RESOLUTION:
            await self.db.execute("UPDATE console_sessions SET last_seen = ? WHERE id_hash = ?", (now, _digest(cookie)))
        return SignedIn(user_of(row), row["csrf"], cookie)

    async def end(self, cookie: str) -> None:
        """Sign this session out (nothing happens for an unknown cookie)."""
        await self.db.execute("DELETE FROM console_sessions WHERE id_hash = ?", (_digest(cookie),))
