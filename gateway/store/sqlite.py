"""The embedded engine: one SQLite file, WAL, foreign keys, and serialised write transactions.

Every write transaction is `BEGIN IMMEDIATE`: it takes SQLite's one write lock before its first
read, so a read-then-write is never raced by another worker on the same file, and `lock()` has
nothing left to do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from gateway.store.base import Database, Row, StoreError, Transaction, migration_files

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
WAL_LIMIT = 4 * 1024 * 1024
"""Bytes of WAL past which it is checkpointed and truncated (SQLite's own auto-checkpoint, 1000
pages, is passive: readers in other workers that always overlap starve it and the WAL grows on)."""
CHECK_WAL_EVERY = 100
"""Commits between two looks at the WAL's size."""
HEADROOM = 2 * WAL_LIMIT
"""Free bytes the store's disk must keep for /readyz to call it ready: a checkpoint moves up to
WAL_LIMIT into the database file, and a commit must still find room in the WAL."""

log = logging.getLogger(__name__)


def free_bytes(path: str) -> int:
    """Bytes an unprivileged writer may still use on the file system holding `path`."""
    stat = os.statvfs(Path(path).parent)
    return stat.f_bavail * stat.f_frsize


class SqliteTransaction(Transaction):
    """A transaction on the one aiosqlite connection (the Database holds its write lock)."""

    skip_locked = ""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self.conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [dict(row) for row in await self.conn.execute_fetchall(sql, params)]

    async def lock(self, key: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already holds the database's one write lock."""


class SqliteDatabase(Database):
    """An aiosqlite connection with the project's pragmas; writes go one transaction at a time."""

    engine = "sqlite"

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        if synchronous not in SYNCHRONOUS:
            raise StoreError(f"settings `store.synchronous`: {synchronous!r} is not one of {', '.join(SYNCHRONOUS)}")
        self.path = str(path)
        self.synchronous = synchronous
        self._conn: aiosqlite.Connection | None = None
        self._write = asyncio.Lock()
        self._commits = 0
        self._wal_over = False

    @property
    def where(self) -> str:
        return self.path

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError("the database is not open")
        return self._conn

    async def _connect(self) -> None:
        """Connect, creating the file and its folder."""
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            self._conn.row_factory = aiosqlite.Row
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"synchronous={self.synchronous}",
                           "busy_timeout=5000", f"journal_size_limit={WAL_LIMIT}"):
                await self._conn.execute(f"PRAGMA {pragma}")
        except (OSError, sqlite3.Error) as exc:
            await self.close()  # else the connection's thread keeps the process alive
            raise StoreError(
                f"store {self.path}: cannot be opened ({exc}); point `store.url` (or PISHKHAN_STORE_URL) "
                "at a writable SQLite file (sqlite:///path), or move the broken file away"
            ) from exc

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
        for version, name, path in migration_files(self.engine):
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
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction; committed when the block ends, rolled back on error."""
        async with self._write:
            try:
                # BEGIN inside: a caller cancelled while BEGIN waits for another worker's write (a
                # /readyz probe's timeout) must still roll back, or the connection stays in a transaction.
                await self.conn.execute("BEGIN IMMEDIATE")
                yield SqliteTransaction(self.conn)
                await self.conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            self._commits += 1
            if self._wal_over or self._commits % CHECK_WAL_EVERY == 0:
                self._wal_over = await self._bound_wal()

    async def _rollback(self) -> None:
        """End the open transaction, even when its COMMIT was what failed: a failed COMMIT (disk full,
        I/O error) "may or may not" roll back by itself (SQLite's docs), and left open, every later
        BEGIN on this connection would fail. The ROLLBACK queues behind the statement still running
        on the connection's thread, so it sees how that ended."""
        try:
            await self.conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "no transaction is active" not in str(exc):
                raise

    async def _bound_wal(self) -> bool:
        """Checkpoint and truncate the WAL once it passes WAL_LIMIT (called holding the write lock).
        TRUNCATE waits (busy_timeout) for readers on older snapshots, which PASSIVE never does.
        It runs after a commit, so it never fails that commit: a failed checkpoint is retried later.
        Returns whether the WAL is still past the limit (a reader kept the checkpoint from finishing),
        so the next commit tries again rather than the hundredth."""
        if self.path == ":memory:":
            return False
        try:
            if await asyncio.to_thread(os.path.getsize, f"{self.path}-wal") <= WAL_LIMIT:
                return False
            cursor = await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = await cursor.fetchone()
            return bool(busy and busy[0])
        except FileNotFoundError:
            return False
        except (OSError, sqlite3.Error) as exc:
            log.warning("store %s: WAL checkpoint failed (%s); trying again after the next commit", self.path, exc)
            return True

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows as dicts.

        Run and read in one hop to the connection's thread: a statement left half-read across an
        await would hold an old WAL snapshot, and a write transaction another task begins on this
        connection meanwhile would fail at once with "database is locked" (SQLITE_BUSY_SNAPSHOT,
        which no busy timeout waits out) as soon as another process has written."""
        return [dict(row) for row in await self.conn.execute_fetchall(sql, params)]

    async def ping(self) -> bool:
        """The store takes a write (/readyz): its disk keeps HEADROOM free and a heartbeat row
        commits. A read alone answers from the page cache on a full or read-only disk."""
        if self.path != ":memory:" and await asyncio.to_thread(free_bytes, self.path) < HEADROOM:
            return False
        await self.execute("INSERT INTO store_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at", (time.time(),))
        return True
