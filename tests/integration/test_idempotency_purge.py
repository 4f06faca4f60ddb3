"""Expired Idempotency-Key rows are purged by a background loop, not only when new keys are claimed: a
quiet deployment keeps none past `api.idempotency_hours` (24 in config/), by the injected clock."""

from __future__ import annotations

from clock import ManualClock
from waiting import eventually

from gateway.app import create_app
from gateway.idempotency import Claim, IdempotencyKeys
from gateway.settings import Settings
from gateway.store import Database

HOUR = 3600.0


async def _keys(db: Database) -> list[tuple[str, int]]:
    """(key, bulk items answered) of every stored key."""
    rows = await db.fetchall("SELECT k.key, (SELECT count(*) FROM idempotency_parts p WHERE p.key_id = k.id) AS parts"
                             " FROM idempotency_keys k ORDER BY k.key")
    return [(r["key"], int(r["parts"])) for r in rows]


async def _claim(keys: IdempotencyKeys, key: str, parts: int = 0) -> None:
    claim = await keys.claim(1, key, "fingerprint")
    assert isinstance(claim, Claim)
    for n in range(parts):
        async with keys.db.transaction() as conn:
            await keys.settle_part(conn, claim, f"code{n}", "{}")


async def test_purge_removes_every_expired_key_with_its_bulk_answers_and_nothing_else(database: Database) -> None:
    clock = ManualClock()
    keys = IdempotencyKeys(database, clock, 24)
    for n in range(5):
        await _claim(keys, f"old{n}", parts=2 if n == 0 else 0)
    clock.advance(12 * HOUR)
    await _claim(keys, "young", parts=1)
    clock.advance(12 * HOUR)
    assert await keys.purge(batch=2) == 5                       # three batches, the last one short
    assert await _keys(database) == [("young", 1)]
    assert await database.fetchall("SELECT key_id FROM idempotency_parts WHERE part = 'code1'") == []
    assert await keys.purge() == 0


async def test_a_running_gateway_purges_expired_keys_though_no_key_is_claimed(  # type: ignore[no-untyped-def]
        aiohttp_client, settings: Settings, database: Database) -> None:
    then = ManualClock()
    earlier = IdempotencyKeys(database, then, 24)
    await _claim(earlier, "yesterday", parts=1)
    then.advance(2 * HOUR)
    await _claim(earlier, "this morning")
    now = ManualClock(then() + 23 * HOUR)                       # "yesterday" is 25 hours old, "this morning" 23
    await aiohttp_client(await create_app(settings, clock=now))   # starts the background loops

    async def only_this_morning() -> bool:
        return await _keys(database) == [("this morning", 0)]

    await eventually(only_this_morning, what="the expired key purged")
