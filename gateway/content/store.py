"""Content versions in the store: immutable numbered rows and the one pointer to the live version.

Every write is one transaction that also records the catalogue's services (requests refer to them,
retired ones included), so a version is live with its services or not at all. A change prepared on
version N is refused when another publish made N+1 first (`StaleVersion`): no edit is lost by
being overwritten unseen, across workers and hosts.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from flows.errors import PishkhanError
from gateway.catalogue import Catalogue
from gateway.catalogue.store import record_services
from gateway.content.model import Content, Version
from gateway.store import Database, Transaction

AfterWrite = Callable[[Transaction, Version], Awaitable[None]]
"""Called inside the write transaction (the audit record commits with the change)."""


class UnknownVersion(PishkhanError):
    """No version has that number."""


class StaleVersion(PishkhanError):
    """The live version changed since the change was prepared."""


def _version(row: Mapping[str, Any], live: int | None) -> Version:
    return Version(row["number"], row["digest"], row["author"], row["created_at"], row["note"], row["number"] == live)


class ContentStore:
    """Reads and writes content versions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def live_number(self) -> int | None:
        """The live version's number (one primary-key read: what workers poll)."""
        row = await self.db.fetchone("SELECT number FROM content_live WHERE id = 1")
        return None if row is None else int(row["number"])

    async def get(self, number: int) -> tuple[Version, Content]:
        """A version's record and content; UnknownVersion if there is none."""
        row = await self.db.fetchone("SELECT * FROM content_versions WHERE number = ?", (number,))
        if row is None:
            raise UnknownVersion(f"there is no version {number}; `pishkhan flows versions` lists them")
        return _version(row, await self.live_number()), Content.from_canonical(row["content"], f"version {number}")

    async def live(self) -> tuple[Version, Content] | None:
        """The live version, or None before the first publish."""
        number = await self.live_number()
        return None if number is None else await self.get(number)

    async def versions(self, limit: int = 50, offset: int = 0) -> tuple[list[Version], int]:
        """Versions, newest first, and how many there are."""
        live = await self.live_number()
        rows = await self.db.fetchall(
            "SELECT number, digest, author, created_at, note FROM content_versions ORDER BY number DESC LIMIT ? OFFSET ?", (limit, offset))
        counted = await self.db.fetchall("SELECT count(*) AS n FROM content_versions")
        return [_version(r, live) for r in rows], int(counted[0]["n"])

    async def publish(self, content: Content, catalogue: Catalogue, *, author: str, note: str, based_on: int | None,
                      after: AfterWrite | None = None) -> Version:
        """Store `content` as a new version and make it live. `based_on`: the live version the change
        was prepared on (StaleVersion if another publish came first); `catalogue` is `content`'s, parsed."""
        now = time.time()
        async with self.db.transaction() as conn:
            live = await _live_in(conn)
            if live != based_on:
                raise StaleVersion(f"version {live} was published while this change was prepared on version {based_on}; "
                                   "prepare it again on the live version")
            row = await conn.fetchone("SELECT coalesce(max(number), 0) + 1 AS next FROM content_versions")
            number = int(row["next"]) if row else 1
            await conn.execute("INSERT INTO content_versions (number, digest, content, author, created_at, note) VALUES (?, ?, ?, ?, ?, ?)",
                               (number, content.digest, content.canonical(), author, now, note))
            version = Version(number, content.digest, author, now, note, live=True)
            await _make_live(conn, version, catalogue, author, now, after)
        return version

    async def make_live(self, number: int, catalogue: Catalogue, *, by: str, based_on: int | None,
                        after: AfterWrite | None = None) -> Version:
        """Serve an existing version again (a rollback); `catalogue` is its catalogue, parsed."""
        now = time.time()
        async with self.db.transaction() as conn:
            if await _live_in(conn) != based_on:
                raise StaleVersion("the live version changed meanwhile; look at `pishkhan flows versions` and try again")
            row = await conn.fetchone("SELECT number, digest, author, created_at, note FROM content_versions WHERE number = ?", (number,))
            if row is None:
                raise UnknownVersion(f"there is no version {number}")
            version = _version(row, number)
            await _make_live(conn, version, catalogue, by, now, after)
        return version


async def _live_in(conn: Transaction) -> int | None:
    """The live version, read under the content lock: the compare of the compare-and-set holds
    until the transaction's write (two publishes on two hosts: the second sees the first's)."""
    await conn.lock("content_live")
    row = await conn.fetchone("SELECT number FROM content_live WHERE id = 1")
    return None if row is None else int(row["number"])


async def _make_live(conn: Transaction, version: Version, catalogue: Catalogue, by: str, now: float,
                     after: AfterWrite | None) -> None:
    await conn.execute("INSERT INTO content_live (id, number, since, by) VALUES (1, ?, ?, ?)"
                       " ON CONFLICT (id) DO UPDATE SET number = excluded.number, since = excluded.since, by = excluded.by",
                       (version.number, now, by))
    await record_services(conn, catalogue)
    if after is not None:
        await after(conn, version)
