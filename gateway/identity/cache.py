"""The provider's answers, kept in the store for `identity.cache_hours` and shared by every worker.

A row is keyed by an HMAC-SHA256 of the (mobile, national code) pair under `identity.cache_secret`,
never by the pair: the table says nothing about who owns which number to someone who reads it
without the secret, and a plain hash of so small a space (ten-digit codes, one country's numbers)
could be reversed by trying them all. Without a secret nothing is cached.
"""

from __future__ import annotations

import hashlib
import hmac

from flows.clock import Clock
from gateway.store import Database


class IdentityCache:
    """Yes/no answers by keyed digest of the pair, each good for `hours`."""

    def __init__(self, db: Database, secret: str, hours: float, clock: Clock) -> None:
        self.db = db
        self._key = secret.encode()
        self.seconds = hours * 3600
        self.clock = clock

    @property
    def enabled(self) -> bool:
        """A secret and a lifetime are set."""
        return bool(self._key) and self.seconds > 0

    def digest(self, mobile: str, national_code: str) -> str:
        """The pair's row key: hex HMAC-SHA256, the two joined by a byte neither can contain."""
        return hmac.new(self._key, f"{mobile}\x00{national_code}".encode(), hashlib.sha256).hexdigest()

    async def get(self, mobile: str, national_code: str) -> bool | None:
        """The answer given within the lifetime; None when there is none (or no cache)."""
        if not self.enabled:
            return None
        row = await self.db.fetchone("SELECT matches FROM identity_checks WHERE digest = ? AND checked_at > ?",
                                     (self.digest(mobile, national_code), self.clock() - self.seconds))
        return None if row is None else bool(row["matches"])

    async def put(self, mobile: str, national_code: str, matches: bool) -> None:
        """Keep an answer (a newer one replaces an older)."""
        if self.enabled:
            await self.db.execute(
                "INSERT INTO identity_checks (digest, matches, checked_at) VALUES (?, ?, ?)"
                " ON CONFLICT (digest) DO UPDATE SET matches = excluded.matches, checked_at = excluded.checked_at",
                (self.digest(mobile, national_code), int(matches), self.clock()),
            )

    async def prune(self) -> int:
        """Delete answers past their lifetime (all of them when caching is off); how many."""
        return await self.db.execute("DELETE FROM identity_checks WHERE checked_at <= ?",
                                     (self.clock() - self.seconds if self.enabled else float("inf"),))
