"""`pishkhan db copy`: a pilot's store moved into another (SQLite → PostgreSQL mostly), then checked.

The copy is one transaction on the target, so a copy that fails half-way leaves the target as empty
as it was (migrated, nothing else), and a second attempt is not refused as non-empty. Rows keep
their ids. Each table is read from the source a page at a time, by its primary key (keyset
pagination: the index finds where the last page ended), so memory holds one page whatever the
store's size.

The check reads both stores back after the commit: per table the row count and a checksum of
every row. The checksum adds up the SHA-256 of each row's values as canonical JSON (modulo 2**256),
so it does not depend on the order rows come in: a text key sorts by the database's collation on
PostgreSQL and bytewise on SQLite, so "primary-key order" is not one order across engines, and
sorting with COLLATE "C" instead would bypass the primary key's index (a sort per page).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.errors import PishkhanError
from gateway.store.base import Database, Row, StoreError, Transaction, migration_files
from gateway.store.sqlite import SqliteDatabase
from gateway.store.url import database_at

BATCH = 1000
"""Rows per page read and per executemany written."""


@dataclass(frozen=True)
class Table:
    """A table copied, with its primary key (pages are read in its order)."""

    name: str
    key: tuple[str, ...] = ("id",)
    later: str | None = None
    """A column referring to a row of the same table, which may come later in key order (a payment
    names the newer payment that renewed it): copied as NULL, then set once every row is in."""
    batch: int = BATCH


TABLES: tuple[Table, ...] = (
    Table("agencies"),
    Table("categories"),
    Table("services", later="parent"),
    Table("content_versions", ("number",), batch=20),  # a row is the whole content: flows and catalogue
    Table("content_live"),
    Table("api_tokens"),
    Table("audit"),
    Table("requests"),
    Table("request_events"),
    Table("payments", later="renewed_by"),
    Table("payment_events"),
    Table("payment_sandbox", ("authority",)),
    Table("outbox"),
    Table("sms_deliveries", ("provider", "provider_message_id")),
    Table("sms_optouts", ("address",)),
    Table("telegram_parts", ("outbox_id",)),
    Table("telegram_contacts", ("bot", "user_id")),
    Table("telegram_unreachable", ("address",)),
    Table("telegram_requests", ("address", "tracking_code")),
    Table("console_users"),
    Table("request_notes"),
    Table("request_assignments", ("request_id",)),
    Table("consultations"),
    Table("consultation_votes"),
    Table("complaints"),
    Table("complaint_events"),
    Table("feedback_surveys"),
    Table("analytics_nodes", ("day", "channel", "node")),
    Table("analytics_channels", ("day", "channel")),
    Table("analytics_services", ("day", "channel", "service_id")),
    Table("identity_checks", ("digest",)),
    Table("identity_pending"),
    Table("identity_limits", ("digest", "day")),
    Table("idempotency_keys"),  # a back-office system retrying across the move still gets its first answer
    Table("idempotency_parts", ("key_id", "part")),
    Table("event_subscriptions"),
    Table("events"),
    Table("event_deliveries"),
)
"""Every table of the schema a pilot's data lives in, parents before the tables referring to them."""

SKIPPED = {
    "schema_migrations": "the target's own: `migrate` fills it, and both stores are at this build's migrations",
    "store_heartbeat": "/readyz's scratch row, rewritten by every probe",
    "leases": "held by running workers for seconds; the pilot is stopped, and production's workers take their own",
    "console_sessions": "signed-in browsers of the pilot; staff sign in again on the new store (accounts are copied)",
}
"""Tables the migrations create that are not data to move, and why."""

_TABLE_NAMES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
}


@dataclass(frozen=True)
class Summary:
    """What a table holds, as the check compares it."""

    rows: int
    checksum: int


@dataclass(frozen=True)
class Comparison:
    """One table's summary in both stores."""

    table: str
    source: Summary
    target: Summary

    @property
    def same(self) -> bool:
        return self.source == self.target


async def open_source(url: str) -> Database:
    """The store at `url`, open and not migrated (a source is only read). A SQLite file that does
    not exist is an error: opening it would create an empty one."""
    db = database_at(url)
    if isinstance(db, SqliteDatabase) and not await asyncio.to_thread(Path(db.path).is_file):
        raise StoreError(f"store {db.where}: no such file")
    return await db.open(migrate=False)


async def table_names(db: Database) -> set[str]:
    """The tables the store has."""
    return {row["name"] for row in await db.fetchall(_TABLE_NAMES[db.engine])}


async def applied(db: Database) -> set[int]:
    """Migration versions applied to the store (none on a store never migrated)."""
    if "schema_migrations" not in await table_names(db):
        return set()
    return {int(row["version"]) for row in await db.fetchall("SELECT version FROM schema_migrations")}


def _named(versions: set[int], engine: str) -> str:
    names = {version: f"{version:04d}_{name}" for version, name, _ in migration_files(engine)}
    return ", ".join(names.get(version, f"{version:04d}") for version in sorted(versions))


async def check_source(db: Database, role: str = "source") -> None:
    """A StoreError unless the store has exactly this build's migrations: its tables are then the
    ones TABLES lists, with the columns the target will have."""
    have = await applied(db)
    known = {version for version, _, _ in migration_files(db.engine)}
    if have - known:
        raise StoreError(f"{role} {db.where} has migrations this build does not know ({_named(have - known, db.engine)}): "
                         "use the build that applied them")
    if known - have:
        raise StoreError(f"{role} {db.where} lacks migrations {_named(known - have, db.engine)}: "
                         "run `pishkhan db migrate` against it first (PISHKHAN_STORE_URL=<its URL> pishkhan db migrate)")


async def check_target(db: Database) -> None:
    """A StoreError, before anything is written, unless the target is empty: no row in any table
    the copy fills, and no migration of a newer build."""
    newer = await applied(db) - {version for version, _, _ in migration_files(db.engine)}
    if newer:
        raise StoreError(f"target {db.where} has migrations this build does not know ({_named(newer, db.engine)})")
    present = await table_names(db)
    filled = []
    for table in TABLES:
        if table.name in present:
            row = await db.fetchone(f"SELECT count(*) AS n FROM {table.name}")
            if row and row["n"]:
                filled.append(f"{table.name} has {row['n']:,} rows")
    if filled:
        raise StoreError(f"target {db.where} is not empty: {', '.join(filled)}; "
                         "db copy fills an empty store only: point --to at a new database")


async def pages(db: Database, table: Table, columns: str = "*", where: str = "") -> AsyncIterator[list[Row]]:
    """The table's rows a page at a time, in primary-key order (keyset: each page starts after the
    last key of the one before, through the key's index)."""
    key = ", ".join(table.key)
    after: tuple[Any, ...] = ()
    while True:
        conditions = [where] if where else []
        if after:
            conditions.append(f"({key}) > ({', '.join('?' * len(after))})")
        filtered = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await db.fetchall(f"SELECT {columns} FROM {table.name}{filtered} ORDER BY {key} LIMIT {table.batch}", after)
        if rows:
            yield rows
        if len(rows) < table.batch:
            return
        after = tuple(rows[-1][column] for column in table.key)


def _quoted(column: str) -> str:
    return f'"{column}"'  # columns named `by`, `at`, `position`: keywords somewhere


async def _copy_table(source: Database, tx: Transaction, table: Table) -> int:
    """Insert the table's rows (`later` as NULL), then set `later`; the rows copied."""
    copied = 0
    async for rows in pages(source, table):
        columns = list(rows[0])
        insert = (f"INSERT INTO {table.name} ({', '.join(map(_quoted, columns))})"
                  f" VALUES ({', '.join('?' * len(columns))})")
        await tx.executemany(insert, ([None if c == table.later else row[c] for c in columns] for row in rows))
        copied += len(rows)
    if table.later:
        key = ", ".join(table.key)
        update = f"UPDATE {table.name} SET {_quoted(table.later)} = ? WHERE ({key}) = ({', '.join('?' * len(table.key))})"
        async for rows in pages(source, table, f"{key}, {_quoted(table.later)}", f"{table.later} IS NOT NULL"):
            await tx.executemany(update, ([row[table.later], *(row[c] for c in table.key)] for row in rows))
    return copied


async def _advance_identities(tx: Transaction) -> None:
    """PostgreSQL: move each identity column's sequence past the ids copied, or the next INSERT
    without an id would be given 1 again. SQLite takes max(rowid) + 1 by itself."""
    identities = await tx.fetchall("SELECT table_name, column_name FROM information_schema.columns"
                                   " WHERE table_schema = current_schema() AND is_identity = 'YES'")
    copied = {table.name for table in TABLES}
    for row in identities:
        table, column = row["table_name"], row["column_name"]
        if table in copied:
            await tx.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), max({column})) FROM {table}"
                             f" HAVING max({column}) IS NOT NULL")


async def copy_store(source: Database, target: Database) -> int:
    """Copy every table of TABLES from `source` to the empty `target` (both open; the target is
    migrated here, after it is found empty); the rows copied. A StoreError, with nothing copied,
    when either store is refused."""
    await check_source(source)
    await check_target(target)
    await target.migrate()
    copied = 0
    async with target.transaction() as tx:
        for table in TABLES:
            try:
                copied += await _copy_table(source, tx, table)
            except PishkhanError:
                raise
            except Exception as exc:  # the engine's own (sqlite3.Error, asyncpg.PostgresError): a row the target refuses
                raise StoreError(f"copying {table.name} into {target.where} failed, so nothing was copied: "
                                 f"{type(exc).__name__}: {exc}") from exc
        if target.engine == "postgresql":
            await _advance_identities(tx)
    return copied


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _plain(value: Any) -> Any:
    """A value as both engines give it: an integral float is an int (SQLite hands back 3.0 from a
    REAL column in places PostgreSQL gives 3)."""
    if value.__class__ is float and value.is_integer():
        return int(value)
    return value


def _digest(line: str) -> int:
    return int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")


async def summary(db: Database, table: Table) -> Summary:
    """Row count and checksum of one table, read a page at a time: the sum of the digests of its
    column names and of each row's values as a JSON array in the order of those names."""
    rows = checksum = 0
    async for page in pages(db, table):
        columns = sorted(page[0])
        if not rows:
            checksum = _digest(_encode(columns))
        for row in page:
            try:
                checksum += _digest(_encode([_plain(row[column]) for column in columns]))
            except TypeError as exc:  # a type JSON has no form for: its text would not be the same on both engines
                raise StoreError(f"{table.name}: {exc}, which the copy's check cannot compare") from exc
        rows += len(page)
    return Summary(rows, checksum % 2**256)


async def compare(source: Database, target: Database, tables: Sequence[Table] = TABLES) -> list[Comparison]:
    """Every table's count and checksum read back from both stores (the two read at once)."""
    compared = []
    for table in tables:
        ours, theirs = await asyncio.gather(summary(source, table), summary(target, table))
        compared.append(Comparison(table.name, ours, theirs))
    return compared
