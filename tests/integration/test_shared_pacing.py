"""Send slots in the state store (GCRA): two clients of one store, as two worker processes are, are
paced together and held together, on the in-process store and a real redis-server alike; Redis
schedules on its own clock and forgets a schedule once it has passed; pacing survives a Redis outage;
and two SMS senders of two gateways (two workers) keep one provider's rate between them."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import unused_port
from fakes.kannel import FakeKannel
from fakes.sms_gateway import sms_settings
from redis_server import RedisServer

from gateway.app import open_gateway
from gateway.settings import Settings
from gateway.state import MemoryState, Pace, StateStore
from gateway.state.redis import RedisSettings, RedisState, open_redis_state
from gateway.state.throttle import Throttle
from gateway.telegram.pacing import Pacer

RATE = 20
"""Sends a second in the timing tests: 50 ms apart, far above the loop's jitter."""


@pytest.fixture(params=["memory", "redis"])
async def clients(request: pytest.FixtureRequest) -> AsyncIterator[tuple[StateStore, StateStore]]:
    """Two clients of one store, as two workers hold them: the in-process store is shared only
    within a process, so its two users hold the same object; Redis gets two connections."""
    if request.param == "memory":
        memory = MemoryState()
        yield memory, memory
        return
    server: RedisServer = request.getfixturevalue("shared_redis")
    settings = RedisSettings(url=server.url, prefix=f"t{uuid.uuid4().hex}:")
    one, two = RedisState(settings), RedisState(settings)
    yield one, two
    await one.close()
    await two.close()


async def sent_times(throttle: Throttle, pace: Pace, count: int) -> list[float]:
    """When each of `count` concurrent sends through `throttle` was let go."""
    async def send() -> float:
        await throttle.wait(pace)
        return time.monotonic()
    return list(await asyncio.gather(*(send() for _ in range(count))))


async def test_two_clients_on_one_key_are_paced_together(clients: tuple[StateStore, StateStore]) -> None:
    one, two = clients
    pace = Pace("pace:sms:kannel", 1 / RATE)
    first, second = await asyncio.gather(sent_times(Throttle(one), pace, 5), sent_times(Throttle(two), pace, 5))
    times = sorted(first + second)
    # 10 sends, 9 gaps of 50 ms: 0.45 s. Paced per client they would span 0.2 s.
    assert times[-1] - times[0] == pytest.approx(9 / RATE, abs=0.08)
    assert min(b - a for a, b in itertools.pairwise(times)) > 0.03


async def test_a_burst_goes_at_once_then_the_rate_and_it_refills_while_idle(clients: tuple[StateStore, StateStore]) -> None:
    one, two = clients
    pace = Pace("pace:sms:jasmin", 0.05, burst=3)
    waits = [(await store.reserve(pace)).wait for store in (one, two, one, two, one)]
    assert waits == pytest.approx([0, 0, 0, 0.05, 0.1], abs=0.02)
    await asyncio.sleep(0.25 + 0.05 * 3)  # the schedule is 0.25 s ahead; then three slots' worth of quiet
    assert [(await store.reserve(pace)).wait for store in (two, one, two)] == [0, 0, 0]


async def test_a_busy_chat_does_not_book_the_bot_ahead_of_other_chats(clients: tuple[StateStore, StateStore]) -> None:
    one, two = clients
    bot = Pace("pace:telegram:main", 0.05)
    first = await one.reserve(Pace("pace:telegram:main:chat:1", 1.0), bot)
    again = await two.reserve(Pace("pace:telegram:main:chat:1", 1.0), bot)
    other = await one.reserve(Pace("pace:telegram:main:chat:2", 1.0), bot)
    assert (first.wait, first.taken) == (0, 2)
    assert again.taken == 1 and again.wait == pytest.approx(1.0, abs=0.02)    # waits for its chat; the bot is untouched
    assert other.taken == 2 and other.wait == pytest.approx(0.05, abs=0.02)   # next bot slot after the first send


async def test_a_hold_by_one_client_delays_the_other(clients: tuple[StateStore, StateStore]) -> None:
    one, two = clients
    bot = Pace("pace:telegram:main", 0.01)
    await one.hold(bot.key, 0.3)
    await two.hold(bot.key, 0.1)  # a shorter hold does not cut the longer one short
    held = await two.reserve(bot)
    assert held.wait == pytest.approx(0.3, abs=0.02)
    assert (await one.reserve(bot)).wait == pytest.approx(0.31, abs=0.02)


async def test_a_429_on_one_worker_holds_the_bot_on_the_other(shared_redis: RedisServer) -> None:
    settings = RedisSettings(url=shared_redis.url, prefix=f"t{uuid.uuid4().hex}:")
    one, two = RedisState(settings), RedisState(settings)
    try:
        worker_one, worker_two = (Pacer(Throttle(s), "main", 1.0, 25) for s in (one, two))
        await worker_one.hold(0.3)
        started = time.monotonic()
        await worker_two.wait(5550002)
        assert time.monotonic() - started == pytest.approx(0.3, abs=0.05)
    finally:
        await one.close()
        await two.close()


async def test_redis_schedules_on_its_own_clock_and_forgets_a_passed_schedule(shared_redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RedisState(RedisSettings(url=shared_redis.url, prefix=f"t{uuid.uuid4().hex}:"))
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3600.0)  # this host's clock is an hour off
    try:
        seconds, micros = await store.client.time()
        await store.reserve(Pace("k", 0.05))
        tat = int(await store.client.hget(store.prefix + "k", "tat"))
        assert tat - 50_000 - (seconds * 1_000_000 + micros) == pytest.approx(0, abs=20_000)
        await store.reserve(Pace("k", 0.05))
        assert int(await store.client.hget(store.prefix + "k", "tat")) == tat + 50_000   # to the microsecond
        assert 50 < await store.client.pttl(store.prefix + "k") <= 101
        await store.hold("h", 0.2)
        assert 150 < await store.client.pttl(store.prefix + "h") <= 201
        await asyncio.sleep(0.15)
        assert not await store.client.exists(store.prefix + "k")
    finally:
        await store.close()


async def test_while_redis_is_down_pacing_goes_on_in_the_process(redis_server: RedisServer) -> None:
    state = open_redis_state(RedisSettings(url=redis_server.url, timeout=0.2, connect_timeout=0.2, retry_after=0.2))
    try:
        throttle = Throttle(state)
        pace = Pace("pace:sms:kannel", 1 / RATE)
        redis_server.stop()
        times = await sent_times(throttle, pace, 4)
        assert max(times) - min(times) == pytest.approx(3 / RATE, abs=0.04)   # still paced, nothing raised
        redis_server.start()
        await asyncio.sleep(0.25)                                              # past retry_after
        await throttle.wait(pace)
        assert await state.inner.client.exists("pishkhan:pace:sms:kannel")   # shared again
    finally:
        await state.close()


async def test_two_workers_sms_senders_share_one_provider_rate(aiohttp_server, settings: Settings, shared_redis: RedisServer) -> None:  # type: ignore[no-untyped-def]
    kannel = FakeKannel()
    kannel_url = str((await aiohttp_server(kannel.app())).make_url("")).rstrip("/")
    configured = sms_settings(settings, kannel_url, "http://127.0.0.1:9", f"http://127.0.0.1:{unused_port()}",
                              providers={"kannel": {"rate": RATE, "burst": 1}})
    configured = configured.updated({"redis": {"url": shared_redis.url, "prefix": f"t{uuid.uuid4().hex}:"}})
    workers = [await open_gateway(configured), await open_gateway(configured)]  # one store file, one Redis
    try:
        outbox = workers[0].outbox
        ids = [await outbox.enqueue("sms", f"tel:+98912000{i:04d}", f"Request {i}: approved.", kind="notification")
               for i in range(10)]
        messages = [await outbox.claim(i) for i in ids]  # type: ignore[attr-defined]
        await asyncio.gather(*(workers[n % 2].dispatcher.senders["sms"].send(m) for n, m in enumerate(messages)))
    finally:
        for worker in workers:
            await worker.close()
    assert len(kannel.calls) == 10
    assert kannel.times[-1] - kannel.times[0] == pytest.approx(9 / RATE, abs=0.08)   # per worker: 0.2 s
    assert min(b - a for a, b in itertools.pairwise(kannel.times)) > 0.03
