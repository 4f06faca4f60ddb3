"""The national engine: PostgreSQL through an asyncpg pool, shared by every worker on every host.

The store classes' SQL is written with `?` placeholders (SQLite's); `numbered` rewrites them to
PostgreSQL's `$1, $2, …` once per statement text. Transactions run at READ COMMITTED: where a
store class reads and then writes on what it read, it says so with `Transaction.lock`, which takes
a transaction-scoped advisory lock, and claims rows with `skip_locked`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from gateway.store.base import Database, Row, StoreError, Transaction, migration_files

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x70697368  # "pish": the session-level advisory lock migrations are applied under
"""Several hosts starting together: the first applies the migrations, the others wait, then find none pending."""
MIGRATION_TIMEOUT = 3600.0
"""Seconds one migration may take (an index on a national table), far past `store.timeout`, which is a hop's."""

CONNECTION_ERRORS = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.OperatorInterventionError,
                     TimeoutError)
"""What a PostgreSQL that is down, restarting (admin or crash shutdown, "cannot connect now") or
unreachable raises; the store says so as a StoreError, which callers answer politely."""


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """`?` placeholders as `$1, $2, …`, leaving quoted text (`'?'`, `"?"`) alone."""
    out: list[str] = []
    quote = ""
    n = 0
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(char)
    return "".join(out)


def rowcount(status: str) -> int:
    """Rows a command changed, from its status tag (`UPDATE 3`, `INSERT 0 1`)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def without_password(url: str) -> str:
    """The URL as messages may show it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresTransaction(Transaction):
    """A transaction on one pooled connection."""

    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return rowcount(await self.conn.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            await self.conn.executemany(numbered(sql), rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [dict(row) for row in await self.conn.fetch(numbered(sql), *params)]

    async def lock(self, key: str) -> None:
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)


class PostgresDatabase(Database):
    """A pool of asyncpg connections; each transaction takes one for its length."""

    engine = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 10, timeout: float = 5.0) -> None:
        self.url = url
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: asyncpg.Pool | None = None

    @property
    def where(self) -> str:
        return without_password(self.url)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("the database is not open")
        return self._pool

    async def _connect(self) -> None:
        try:
            # asyncpg prepares each statement text once per connection (its statement cache), which
            # is what makes a hop's few queries cheap; the store's texts are few and fixed.
            self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self.pool_size,
                                                   command_timeout=self.timeout, timeout=self.timeout)
        except (*CONNECTION_ERRORS, asyncpg.PostgresError, ValueError) as exc:
            raise StoreError(
                f"store {self.where}: cannot connect ({exc}); check `store.url` (or PISHKHAN_STORE_URL): "
                "postgresql://user:password@host:5432/database, the server running and the user allowed in"
            ) from exc

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def migrate(self) -> list[str]:
        done = []
        async with self._connection() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK, timeout=MIGRATION_TIMEOUT)  # another host migrating
            try:
                await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations"
                                   " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)")
                applied = {row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")}
                for version, name, path in migration_files(self.engine):
                    if version in applied:
                        continue
                    try:
                        async with conn.transaction():
                            await conn.execute(path.read_text(encoding="utf-8"), timeout=MIGRATION_TIMEOUT)
                            await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2, $3)", version, name, time.time())
                    except asyncpg.PostgresError as exc:
                        raise StoreError(f"migration {path.name} failed: {exc}") from exc
                    done.append(f"{version:04d}_{name}")
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return done

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; a PostgreSQL that cannot be reached is a StoreError."""
        try:
            async with self.pool.acquire(timeout=self.timeout) as conn:
                yield conn
        except CONNECTION_ERRORS as exc:
            raise StoreError(f"store {self.where}: {type(exc).__name__}: {exc}") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._connection() as conn, conn.transaction():
            yield PostgresTransaction(conn)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as conn:
            return [dict(row) for row in await conn.fetch(numbered(sql), *params)]

    async def ping(self) -> bool:
        await self.execute("INSERT INTO store_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                           (time.time(),))
        return True
