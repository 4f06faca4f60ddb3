"""No crash between a fee request's commit and its payment link leaves anything for reconcile.

A `kill -9` leaves on disk exactly the transactions committed before it. The submission runs with
the store copied (`VACUUM INTO`) after every commit; each copy is a state some kill leaves behind.
Every copy from the request's commit on is then restarted as `serve` would be, two minutes later:
the start-up resend and one sweeper pass must leave one receipt, one working link queued behind it,
and nothing reconcile calls mismatched or orphaned.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from gateway.app import Gateway, open_gateway
from gateway.payments.reconcile import reconcile
from gateway.requests.service import receipt_key
from gateway.settings import Settings
from gateway.store import Database
from gateway.store.sqlite import SqliteDatabase

PHONE = "+989121234567"
ANSWERS = {"national_code": "0499370899", "birth_date": "1375/06/21"}
LATER = 120.0
"""Seconds between the kill and the restart: past the grace a live submit has to queue its link."""


def record_every_commit(db: Database, folder: Path) -> list[Path]:
    """Copy the store after each committed write transaction (what a kill -9 right then leaves)."""
    copies: list[Path] = []
    transaction = db.transaction

    @asynccontextmanager
    async def copied() -> AsyncIterator[object]:
        async with transaction() as conn:
            yield conn
        copy = folder / f"after-commit-{len(copies) + 1}.sqlite3"
        await db.conn.execute("VACUUM INTO ?", (str(copy),))
        copies.append(copy)

    db.transaction = copied  # type: ignore[method-assign]
    return copies


@asynccontextmanager
async def restarted(settings: Settings, copy: Path, scratch: Path) -> AsyncIterator[Gateway]:
    """A gateway started on a copy of a killed store, `LATER` seconds after the kill."""
    store = scratch / copy.name
    shutil.copy(copy, store)
    aged = await SqliteDatabase(store).open()
    for table in ("requests", "payments"):
        await aged.execute(f"UPDATE {table} SET created_at = created_at - ?, updated_at = updated_at - ?", (LATER, LATER))
    await aged.close()
    gateway = await open_gateway(settings.with_sqlite_store(store))
    try:
        yield gateway
    finally:
        await gateway.close()


@pytest.mark.sqlite  # copies the SQLite file after each commit (VACUUM INTO)
async def test_every_crash_after_the_commit_is_repaired_by_the_sweeper(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "copies").mkdir()
    (tmp_path / "restarts").mkdir()
    gateway = await open_gateway(settings)
    copies = record_every_commit(gateway.db, tmp_path / "copies")
    try:
        record = await gateway.requests.submit("121095100", ANSWERS, channel="ussd", address=f"tel:{PHONE}", phone=PHONE, lang="en")
    finally:
        await gateway.close()
    killed = []
    for copy in copies:
        async with restarted(settings, copy, tmp_path / "restarts") as after:
            if await after.requests.get(record.tracking_code) is None:
                continue  # killed before the commit: the citizen saw nothing, nothing is owed
            killed.append(copy.name)
            for moment in ("before the sweep", "after it"):
                findings = await reconcile(after.payments.store)
                assert [(f.kind, f.problem) for f in findings] == [("pending", "link_open")], (copy.name, moment, findings)
                await after.payments.sweep()
            [payment] = await after.payments.store.for_request(record.id)
            assert (payment.state, payment.link_sent_at is not None) == ("pending", True), copy.name
            assert (await after.requests.get(record.tracking_code)).payment_state == "pending"  # type: ignore[union-attr]
            messages = await after.db.fetchall("SELECT kind, idempotency_key, after_key, meta FROM outbox ORDER BY id")
            assert [m["kind"] for m in messages] == ["receipt", "payment_link"], (copy.name, messages)
            assert messages[1]["after_key"] == messages[0]["idempotency_key"] == receipt_key(record.tracking_code)
            view = await after.payments.view(json.loads(messages[1]["meta"])["url"].rsplit("/", 1)[1])
            assert view is not None and view.page == "pay", copy.name   # the queued link is the one that works
    assert len(killed) == 6, killed   # request and payment, receipt, receipt marked, new token, link, link marked


async def test_a_fee_left_without_a_payment_gets_one_from_the_sweeper(settings: Settings) -> None:
    """As an older version's kill -9 left requests: committed, the payment never opened."""
    gateway = await open_gateway(settings)
    try:
        record = await gateway.requests.submit("121095100", ANSWERS, channel="ussd", address=f"tel:{PHONE}", phone=PHONE, lang="en")
        db = gateway.db
        await db.execute("DELETE FROM payment_events")
        await db.execute("DELETE FROM payments")
        await db.execute("DELETE FROM outbox WHERE kind = 'payment_link'")
        await db.execute("UPDATE requests SET payment_state = 'none'")
        assert (await gateway.payments.sweep())["opened"] == 0   # a submit may still be opening a young one
        await db.execute("UPDATE requests SET created_at = created_at - ?", (LATER,))
        assert [f.problem for f in await reconcile(gateway.payments.store)] == ["no_payment"]
        assert (await gateway.payments.sweep())["opened"] == 1
        assert [(f.kind, f.problem) for f in await reconcile(gateway.payments.store)] == [("pending", "link_open")]
        [link] = await db.fetchall("SELECT meta FROM outbox WHERE kind = 'payment_link'")
        view = await gateway.payments.view(json.loads(link["meta"])["url"].rsplit("/", 1)[1])
        assert view is not None and view.page == "pay" and view.request.tracking_code == record.tracking_code
        assert view.request.payment_state == "pending"
        assert (await gateway.payments.sweep())["opened"] == 0
    finally:
        await gateway.close()
