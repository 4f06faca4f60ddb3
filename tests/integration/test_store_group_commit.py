"""Group commit on a real store (SQLite file, or PostgreSQL in that pass): writes made together share
a transaction, each caller gets its own result once it is committed, and a write that fails fails
alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from waiting import eventually

from gateway.outbox import Outbox
from gateway.store import Database, Transaction

ALI = "tel:+989121234567"


@pytest.fixture
def commits(database: Database) -> list[int]:
    """How many transactions the store ran (the engine's own, counted as they commit)."""
    counted: list[int] = []
    opened = database.transaction

    @asynccontextmanager
    async def counting() -> AsyncIterator[Transaction]:
        async with opened() as tx:
            yield tx
        counted.append(1)

    database.transaction = counting  # type: ignore[method-assign]
    return counted


async def test_texts_queued_together_share_commits_and_each_gets_its_own_row(database: Database, commits: list[int]) -> None:
    outbox = Outbox(database)
    ids = await asyncio.gather(*(outbox.enqueue("sms", ALI, f"reply {n}", kind="reply", idempotency_key=f"k{n}") for n in range(40)))
    rows = await database.fetchall("SELECT id, text FROM outbox ORDER BY id")
    assert [r["text"] for r in rows] == [f"reply {n}" for n in range(40)]   # in the order they were queued
    assert ids == [r["id"] for r in rows]
    assert len(commits) <= 3   # the first alone, the rest together (one transaction at a time)
    assert await outbox.enqueue("sms", ALI, "again", idempotency_key="k7") is None   # exactly once per key, as before


async def test_a_write_that_fails_fails_alone_and_the_others_commit(database: Database) -> None:
    outbox = Outbox(database)

    async def broken(tx: Transaction) -> None:
        await tx.execute("INSERT INTO outbox (channel, address, text, kind, meta, next_attempt_at, created_at, updated_at)"
                         " VALUES (NULL, 'x', 'x', 'reply', '{}', 0, 0, 0)")

    good = [outbox.enqueue("sms", ALI, f"reply {n}", idempotency_key=f"k{n}") for n in range(10)]
    results = await asyncio.gather(*good[:5], database.grouped(broken), *good[5:], return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and "null" in str(errors[0]).lower()   # the broken write's own error, to its caller
    assert all(isinstance(r, int) for r in results[:5] + results[6:])
    stored = await database.fetchall("SELECT text FROM outbox ORDER BY id")
    assert sorted(r["text"] for r in stored) == sorted(f"reply {n}" for n in range(10))


async def test_a_caller_that_stops_waiting_does_not_take_its_write_back(database: Database) -> None:
    outbox = Outbox(database)
    queued = asyncio.ensure_future(outbox.enqueue("sms", ALI, "late", idempotency_key="late"))
    await asyncio.sleep(0)
    queued.cancel()
    rows = await eventually(lambda: database.fetchall("SELECT text FROM outbox"))
    assert [r["text"] for r in rows] == ["late"]
