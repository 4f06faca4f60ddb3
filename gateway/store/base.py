"""What every store engine offers: transactions, one-statement writes and reads, migrations, leases.

The store classes (requests, payments, outbox, …) are written once against this interface in SQL
both engines accept: `?` placeholders, `ON CONFLICT … DO …`, `RETURNING`, `IS DISTINCT FROM`. What
cannot be said in such SQL is a method here: `Transaction.lock` (serialise the transactions about
one thing, as SQLite's single writer always did and PostgreSQL's row-level concurrency does not)
and `Transaction.skip_locked` (claim rows other hosts are not claiming).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

from flows.errors import PishkhanError
from gateway.store.group import GroupCommit

if TYPE_CHECKING:  # the settings name the store; the store does not need them to exist
    from gateway.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
"""One folder per engine (`sqlite/`, `postgresql/`), the same numbers and names in both."""
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Row = dict[str, Any]
T = TypeVar("T")


class StoreError(PishkhanError):
    """The store cannot be opened, reached or migrated."""


def migration_files(engine: str, folder: Path = MIGRATIONS) -> list[tuple[int, str, Path]]:
    """(version, name, path) of every migration of `engine`, in order.

    Numbers are grouped by concern so parallel work cannot collide: 0001-0009 core and outbox,
    0010-0019 catalogue/requests/tokens, 0020-0029 SMS, 0030-0039 bots, 0040-0049 payments,
    0050-0059 scale-out."""
    found = []
    for path in (folder / engine).glob("*.sql"):
        match = _NAME.match(path.name)
        if match is None:
            raise StoreError(f"{path.name}: migrations are named NNNN_name.sql")
        found.append((int(match.group(1)), match.group(2), path))
    if not found:  # an install without its data files would start on a store with no tables
        raise StoreError(f"no migrations in {folder / engine}: the installation is incomplete; reinstall Pishkhan")
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise StoreError(f"two migrations share a number: {versions}")
    return found


class Transaction(ABC):
    """One open transaction: everything done through it commits together or not at all."""

    skip_locked: str
    """Appended to a `SELECT … ORDER BY … LIMIT …` that claims rows: on PostgreSQL `FOR UPDATE SKIP
    LOCKED`, so two hosts claiming at once take different rows; empty on SQLite, whose one writer
    at a time already gives the whole table to one claimer."""

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of a query (or of a statement with RETURNING) as dicts."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row, or None (for queries that match at most a few rows)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT of one row (no conflict clause); the `id` it was given."""
        row = await self.fetchone(f"{sql} RETURNING id", params)
        if row is None:
            raise StoreError(f"an INSERT stored no row: {sql[:60]}")
        return int(row["id"])

    @abstractmethod
    async def lock(self, key: str) -> None:
        """Hold `key` until this transaction ends: another transaction locking the same key waits.
        A read-then-write (is there an open request with this idempotency key? is the live version
        still N?) is then safe on every engine and across hosts."""


class Database(ABC):
    """A store engine: a connection (SQLite) or a pool of them (PostgreSQL)."""

    engine: str
    """`sqlite` or `postgresql`: which migrations folder applies."""

    @staticmethod
    def of(settings: Settings) -> Database:
        """The store the settings name (not yet open): `store.url`, or the SQLite file `store.path`."""
        from gateway.store.url import database_at  # the engines import this module

        return database_at(settings.store_url(), synchronous=settings.store.synchronous,
                           pool_size=settings.store.pool_size, timeout=settings.store.timeout)

    @property
    @abstractmethod
    def where(self) -> str:
        """Where the store is, for messages (a path, or a URL without its password)."""

    async def open(self, *, migrate: bool = True) -> Self:
        """Connect and apply pending migrations; a StoreError naming the store and the fix if it cannot be used."""
        await self._connect()
        if migrate:
            try:
                await self.migrate()
            except BaseException:
                await self.close()
                raise
        return self

    @abstractmethod
    async def _connect(self) -> None:
        """Open the connection (or pool); a StoreError naming the store and the fix if it cannot."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections (idempotent)."""

    @abstractmethod
    async def migrate(self) -> list[str]:
        """Apply pending migrations in order, each in its own transaction; the names applied."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A write transaction; committed when the block ends, rolled back on error."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of a read outside any transaction, as dicts."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """First row as a dict, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement in its own transaction; the number of rows it changed."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Many writes in one transaction."""
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def grouped(self, write: Callable[[Transaction], Awaitable[T]]) -> T:
        """`write`'s result once committed, in a transaction shared with the other writes handed here
        meanwhile (gateway.store.group): for the many small writes of busy paths (a reply queued, a
        send recorded), where one commit each would be most of their cost."""
        group = self.__dict__.get("_group")
        if group is None:
            group = self.__dict__["_group"] = GroupCommit(self)
        return await group.run(write)

    @abstractmethod
    async def ping(self) -> bool:
        """The store takes a write (/readyz): a read alone can answer from a cache on a broken disk."""

    async def lease(self, name: str, holder: str, seconds: float, now: float) -> bool:
        """Take or renew the lease `name` for `seconds`: True while `holder` has it. How a sweep that
        must run on one host at a time (payments, reconcile) is kept to one: the others see False
        until the holder stops renewing (a host that died) and the lease runs out."""
        async with self.transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
                " SET holder = excluded.holder, until = excluded.until WHERE leases.holder = excluded.holder OR leases.until < ?"
                " RETURNING holder",
                (name, holder, now + seconds, now),
            )
        return row is not None

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up at once (a clean stop), so another host takes over without waiting."""
        await self.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
