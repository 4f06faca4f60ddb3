"""The StateStore contract, run against the in-process store and a real redis-server alike,
plus what only Redis does: sharing between processes and failing fast while it is down."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis_server import RedisServer

from gateway.state import Delete, Get, MemoryState, Put, StateStore, Take
from gateway.state.redis import RedisSettings, RedisState, open_redis_state
from gateway.state.resilient import StateUnavailable

TICK = 0.06
"""A TTL or window short enough to watch expire."""


def redis_for(server: RedisServer, prefix: str, **overrides: float) -> RedisState:
    return RedisState(RedisSettings(url=server.url, prefix=prefix, **overrides))  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[StateStore]:
    """Each contract test runs once per backend."""
    if request.param == "memory":
        backend: StateStore = MemoryState()
    else:
        backend = redis_for(request.getfixturevalue("shared_redis"), f"t{uuid.uuid4().hex}:")
    yield backend
    await backend.close()


async def test_a_value_comes_back_as_stored_and_is_a_copy(store: StateStore) -> None:
    assert await store.get("session:a") is None
    value = {"lang": "fa", "vars": {"name": "زهرا"}, "stack": ["main:home"]}
    await store.set("session:a", value, 10)
    got = await store.get("session:a")
    assert got == value
    assert got is not None
    got["vars"]["name"] = "changed"
    assert (await store.get("session:a")) == value


async def test_a_batch_answers_each_op_in_order(store: StateStore) -> None:
    assert await store.batch([Put("session:a", {"n": 1}, 10), Take("dedupe:x", 10), Take("dedupe:x", 10),
                              Get("session:a"), Get("lang:a")]) == [None, True, False, {"n": 1}, None]
    assert await store.batch([Get("session:a"), Get("lang:a")]) == [{"n": 1}, None]
    assert await store.batch([Delete("session:a"), Get("session:a")]) == [None, None]


async def test_values_expire_and_can_be_deleted(store: StateStore) -> None:
    await store.set("short", {"x": 1}, TICK)
    await store.set("long", {"x": 2}, 10)
    await asyncio.sleep(TICK * 2)
    assert await store.get("short") is None
    assert await store.get("long") == {"x": 2}
    await store.delete("long")
    assert await store.get("long") is None
    await store.delete("never-there")


async def test_a_value_that_is_not_json_is_refused(store: StateStore) -> None:
    with pytest.raises(TypeError):
        await store.set("bad", {"when": object()}, 10)


async def test_a_claim_succeeds_once_until_it_expires(store: StateStore) -> None:
    assert await store.claim("dup:provider:42", TICK)
    assert not await store.claim("dup:provider:42", TICK)
    assert await store.claim("dup:provider:43", TICK)
    await asyncio.sleep(TICK * 2)
    assert await store.claim("dup:provider:42", TICK)


async def test_the_rate_limit_is_a_sliding_window(store: StateStore) -> None:
    assert [await store.allow("lookup:tel:+98912", 3, TICK * 2) for _ in range(4)] == [True, True, True, False]
    assert await store.allow("lookup:tel:+98935", 3, TICK * 2)
    await asyncio.sleep(TICK * 3)
    assert await store.allow("lookup:tel:+98912", 3, TICK * 2)


async def test_the_store_answers_a_ping(store: StateStore) -> None:
    assert await store.ping()


async def test_two_processes_share_sessions_claims_and_limits(shared_redis: RedisServer) -> None:
    prefix = f"t{uuid.uuid4().hex}:"
    one, two = redis_for(shared_redis, prefix), redis_for(shared_redis, prefix)
    try:
        await one.set("session:ussd:tel:+98912", {"node": "main:home"}, 10)
        assert await two.get("session:ussd:tel:+98912") == {"node": "main:home"}
        assert await one.claim("dup:at:7", 10) and not await two.claim("dup:at:7", 10)
        assert await one.allow("lookup:x", 2, 10) and await two.allow("lookup:x", 2, 10)
        assert not await one.allow("lookup:x", 2, 10) and not await two.allow("lookup:x", 2, 10)
    finally:
        await one.close()
        await two.close()


async def test_deployments_with_different_prefixes_do_not_see_each_other(shared_redis: RedisServer) -> None:
    one, two = redis_for(shared_redis, "one:"), redis_for(shared_redis, "two:")
    try:
        await one.set("session:k", {"who": "one"}, 10)
        assert await two.get("session:k") is None
    finally:
        await one.close()
        await two.close()


async def test_while_redis_is_down_calls_fail_fast_and_it_recovers_by_itself(redis_server: RedisServer) -> None:
    state = open_redis_state(RedisSettings(url=redis_server.url, timeout=0.2, connect_timeout=0.2, retry_after=0.2))
    try:
        await state.set("session:k", {"node": "a"}, 30)
        redis_server.stop()
        started = time.monotonic()
        with pytest.raises(StateUnavailable):
            await state.get("session:k")
        assert time.monotonic() - started < 0.5
        started = time.monotonic()
        with pytest.raises(StateUnavailable):  # within retry_after: no wait at all
            await state.set("session:k", {"node": "b"}, 30)
        assert time.monotonic() - started < 0.01
        assert not await state.ping()
        redis_server.start()  # an empty Redis (no persistence): sessions are gone, service is back
        await asyncio.sleep(0.25)
        assert await state.ping()
        assert await state.get("session:k") is None
        await state.set("session:k", {"node": "c"}, 30)
        assert await state.get("session:k") == {"node": "c"}
    finally:
        await state.close()
