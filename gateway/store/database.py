"""One SQLite database: WAL, foreign keys, ordered migrations, and serialised write transactions.

Migrations are `migrations/NNNN_name.sql`, applied in number order, each in its own transaction
and recorded in `schema_migrations`, so `pishkhan db migrate` and start-up are the same operation.
Numbers are grouped by concern so parallel work cannot collide: 0001-0009 core and outbox,
0010-0019 catalogue/requests/tokens, 0020-0029 SMS, 0030-0039 bots, 0040-0049 payments,
0050-0059 scale-out.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from flows.errors import PishkhanError

MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Row = dict[str, Any]


class StoreError(PishkhanError):
    """The store cannot be opened or migrated."""


def migration_files(folder: Path = MIGRATIONS) -> list[tuple[int, str, Path]]:
    """(version, name, path) of every migration, in order."""
    found = []
    for path in folder.glob("*.sql"):
        match = _NAME.match(path.name)
        if match is None:
            raise StoreError(f"{path.name}: migrations are named NNNN_name.sql")
        found.append((int(match.group(1)), match.group(2), path))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise StoreError(f"two migrations share a number: {versions}")
    return found


class Database:
    """An aiosqlite connection with the project's pragmas; writes go one transaction at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._write = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError("the database is not open")
        return self._conn

    async def open(self, *, migrate: bool = True) -> Database:
        """Connect (creating the file and its folder) and apply pending migrations."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=5000"):
            await self._conn.execute(f"PRAGMA {pragma}")
        if migrate:
            await self.migrate()
        return self

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def applied_versions(self) -> set[int]:
        """Versions already applied."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
        )
        return {row["version"] for row in await self.fetchall("SELECT version FROM schema_migrations")}

    async def migrate(self) -> list[str]:
        """Apply pending migrations in order; the names applied."""
        applied = await self.applied_versions()
        done = []
        for version, name, path in migration_files():
            if version in applied:
                continue
            script = path.read_text(encoding="utf-8")
            async with self._write:
                try:
                    await self.conn.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\n;INSERT INTO schema_migrations VALUES ({version}, '{name}', {time.time()});\nCOMMIT;"
                    )
                except Exception as exc:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise StoreError(f"migration {path.name} failed: {exc}") from exc
            done.append(f"{version:04d}_{name}")
        return done

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; committed when the block ends, rolled back on error."""
        async with self._write:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement in its own transaction; the new row id."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Many writes in one transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """First row as a dict, or None (for queries that match at most a few rows)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows as dicts.

        Run and read in one hop to the connection's thread: a statement left half-read across an
        await would hold an old WAL snapshot, and a write transaction another task begins on this
        connection meanwhile would fail at once with "database is locked" (SQLITE_BUSY_SNAPSHOT,
        which no busy timeout waits out) as soon as another process has written."""
        return [dict(row) for row in await self.conn.execute_fetchall(sql, params)]

    async def ping(self) -> bool:
        """The database answers a query (for /readyz)."""
        return (await self.fetchone("SELECT 1 AS ok")) == {"ok": 1}
