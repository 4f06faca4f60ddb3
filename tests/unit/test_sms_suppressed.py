"""Migration 0022: notifications recorded as `failed` because the number had opted out become
`suppressed`; real failures stay `failed`, and every row keeps its reason."""

from __future__ import annotations

from gateway.outbox import Outbox
from gateway.sms.sender import OPTED_OUT
from gateway.store import Database


async def test_the_migration_moves_opt_out_failures_only(database: Database) -> None:
    db = database
    outbox = Outbox(db)
    opted = await outbox.enqueue("sms", "tel:+989121234567", "approved")
    refused = await outbox.enqueue("sms", "tel:+989121234568", "approved")
    await db.execute("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?", (OPTED_OUT, opted))
    await db.execute("UPDATE outbox SET state = 'failed', last_error = 'HTTP 400: Missing receiver number, rejected' WHERE id = ?", (refused,))
    await db.execute("DELETE FROM schema_migrations WHERE version = 22")   # as a store made before 0022
    assert await db.migrate() == ["0022_outbox_suppressed"]
    states = {r["id"]: (r["state"], r["last_error"]) for r in await db.fetchall("SELECT id, state, last_error FROM outbox")}
    assert states == {opted: ("suppressed", OPTED_OUT), refused: ("failed", "HTTP 400: Missing receiver number, rejected")}
