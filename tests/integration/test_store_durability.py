"""The store's file stays bounded and durable: the WAL is checkpointed even while other workers keep
reading, and commits are synchronous=FULL unless `store.synchronous` says otherwise."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.settings import Settings, SettingsError
from gateway.store import Database
from gateway.store.sqlite import WAL_LIMIT, SqliteDatabase

ROWS = 3500
ROW = b"x" * 4000


@contextmanager
def overlapping_readers(path: Path) -> Iterator[None]:
    """Two connections (other workers) whose short read transactions overlap, so at any moment one
    of them holds a snapshot: SQLite's passive auto-checkpoint can then never restart the WAL."""
    stop = threading.Event()

    def read(offset: float) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        stop.wait(offset)
        while not stop.is_set():
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM outbox").fetchone()
            stop.wait(0.02)   # a reader busy with its snapshot for a moment
            conn.execute("COMMIT")
        conn.close()

    readers = [threading.Thread(target=read, args=(offset,)) for offset in (0.0, 0.01)]
    for reader in readers:
        reader.start()
    try:
        yield
    finally:
        stop.set()
        for reader in readers:
            reader.join()


async def test_the_wal_stays_bounded_while_other_workers_read(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    db = await SqliteDatabase(path, synchronous="NORMAL").open()
    await db.execute("CREATE TABLE filler (data BLOB)")
    largest = 0
    with overlapping_readers(path):
        for _ in range(ROWS):
            await db.execute("INSERT INTO filler (data) VALUES (?)", (ROW,))
            largest = max(largest, (tmp_path / "store.sqlite3-wal").stat().st_size)
    await db.close()
    assert ROWS * len(ROW) > 3 * WAL_LIMIT   # the data alone is 3 limits; the WAL, unchecked, outgrew that
    assert largest < 2 * WAL_LIMIT


@pytest.mark.sqlite  # reads SQLite's PRAGMA synchronous
async def test_commits_are_synchronous_full_by_default(settings: Settings) -> None:
    db = await Database.of(settings).open()
    try:
        assert (await db.fetchone("PRAGMA synchronous")) == {"synchronous": 2}   # FULL
    finally:
        await db.close()


@pytest.mark.sqlite  # reads SQLite's PRAGMA synchronous
async def test_a_store_synchronous_setting_is_applied(settings: Settings) -> None:
    db = await Database.of(settings.updated({"store": {"synchronous": "normal"}})).open()
    try:
        assert (await db.fetchone("PRAGMA synchronous")) == {"synchronous": 1}
    finally:
        await db.close()


def test_an_unknown_store_synchronous_names_the_setting(settings: Settings) -> None:
    with pytest.raises(SettingsError, match=r"`store.synchronous`: 'SOMETIMES' is not one of OFF, NORMAL, FULL, EXTRA"):
        settings.updated({"store": {"synchronous": "SOMETIMES"}})


async def test_a_commit_that_fails_leaves_the_store_writable(tmp_path: Path) -> None:
    """As a COMMIT on a full disk may: SQLite keeps the transaction open after some failed COMMITs."""
    db = await SqliteDatabase(tmp_path / "store.sqlite3").open()
    await db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await db.execute("CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await db.execute("INSERT INTO child VALUES (7)")   # checked, and refused, only at COMMIT
    await db.execute("INSERT INTO parent VALUES (1)")
    assert await db.fetchall("SELECT id FROM parent") == [{"id": 1}]
    assert await db.fetchall("SELECT parent FROM child") == []
    await db.close()


async def test_a_write_cancelled_while_another_worker_writes_leaves_the_store_writable(tmp_path: Path) -> None:
    """/readyz gives its heartbeat write a second; cancelled while waiting for another worker's write
    transaction, it must not leave this connection inside a transaction of its own."""
    path = tmp_path / "store.sqlite3"
    db = await SqliteDatabase(path).open()
    other_worker = sqlite3.connect(path, isolation_level=None)
    other_worker.execute("BEGIN IMMEDIATE")
    probe = asyncio.create_task(db.ping())
    await asyncio.sleep(0.2)   # the probe's BEGIN is now waiting on the other worker's lock
    probe.cancel()
    other_worker.execute("COMMIT")
    with pytest.raises(asyncio.CancelledError):
        await probe
    await db.execute("INSERT INTO store_heartbeat (id, at) VALUES (1, 0)")
    assert await db.fetchall("SELECT at FROM store_heartbeat") == [{"at": 0}]
    other_worker.close()
    await db.close()
