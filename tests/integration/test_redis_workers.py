"""Two real `pishkhan serve` processes sharing one redis-server and one SQLite file, behind a
round-robin client, as a load balancer would put them: conversations hop between them, Redis
goes away and comes back, a worker is killed with SIGKILL, a provider repeats a callback."""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout
from gateway_process import GatewayProcess
from redis_server import RedisServer
from waiting import eventually

from flows.gsm7 import ussd_budget_used

SUBMIT = ["2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"]
"""English, Services, Civil registry, Smart ID card, First issue, Apply, national code, birth date, Confirm."""
HOP_BUDGET = 5.0


class Cluster:
    """Redis, the store file and two workers; `ensure()` brings back whatever a test took down."""

    def __init__(self, directory: Path) -> None:
        self.redis = RedisServer(directory).start()
        self.store = directory / "pishkhan.sqlite3"
        env = {"PISHKHAN_REDIS_URL": self.redis.url, "PISHKHAN_REDIS_RETRY_AFTER": "0.2"}
        self.workers = [GatewayProcess(self.store, env=env), GatewayProcess(self.store, env=env)]
        self.ensure()

    def ensure(self) -> None:
        if self.redis.process is None:
            self.redis.start()
        for worker in self.workers:  # one after the other: the first applies migrations, imports the catalogue
            if not worker.alive:
                worker.start()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop(signal.SIGTERM)
        self.redis.stop()

    def requests_of(self, phone: str) -> list[tuple[str, str]]:
        with sqlite3.connect(self.store) as db:
            return db.execute("SELECT tracking_code, status FROM requests WHERE phone = ?", (phone,)).fetchall()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def pair(cluster: Cluster) -> Cluster:
    cluster.ensure()
    return cluster


def new_phone() -> str:
    return f"+98912{uuid.uuid4().int % 10_000_000:07d}"


class Dial:
    """An Africa's Talking session sent to the workers in turn (round robin)."""

    def __init__(self, http: ClientSession, urls: list[str], phone: str) -> None:
        self.http, self.phone, self.inputs = http, phone, []
        self.session_id = uuid.uuid4().hex
        self.urls = itertools.cycle(urls)

    async def send(self, text: str | None = None, *, to: str | None = None) -> str:
        if text is not None:
            self.inputs.append(text)
        return await self.resend(to=to)

    async def resend(self, *, to: str | None = None) -> str:
        form = {"sessionId": self.session_id, "serviceCode": "*4#", "phoneNumber": self.phone, "text": "*".join(self.inputs)}
        async with self.http.post(f"{to or next(self.urls)}/ussd/africastalking", data=form) as response:
            assert response.status == 200, await response.text()
            return await response.text()


def code_in(page: str) -> str:
    match = re.search(r"Tracking code:\s*([0-9]{11})", page)
    assert match, page
    return match.group(1)


def http() -> ClientSession:
    return ClientSession(timeout=ClientTimeout(total=HOP_BUDGET + 1))


async def test_a_conversation_whose_hops_alternate_between_workers_continues(pair: Cluster) -> None:
    phone = new_phone()
    async with http() as client:
        dial = Dial(client, [w.url for w in pair.workers], phone)
        assert "Language" in await dial.send()
        pages = [await dial.send(text) for text in SUBMIT]
    assert "Government services" in pages[0] and "Services" in pages[1]
    assert "national code" in pages[5].lower()
    code = code_in(pages[-1])
    assert pair.requests_of(phone) == [(code, "submitted")]


async def test_a_repeated_callback_on_both_workers_makes_one_request(pair: Cluster) -> None:
    phone = new_phone()
    a, b = (w.url for w in pair.workers)
    async with http() as client:
        dial = Dial(client, [a, b], phone)
        await dial.send()
        for text in SUBMIT[:-1]:
            await dial.send(text)
        dial.inputs.append(SUBMIT[-1])
        first, second = await asyncio.gather(dial.resend(to=a), dial.resend(to=b))  # the provider retried at once
        later = await dial.resend(to=a)  # and once more after our END
    codes = {code_in(first), code_in(second), code_in(later)}
    assert len(codes) == 1 and later.startswith("END ")
    assert pair.requests_of(phone) == [(codes.pop(), "submitted")]


async def test_with_redis_down_every_hop_ends_politely_and_service_recovers(pair: Cluster) -> None:
    urls = [w.url for w in pair.workers]
    async with http() as client:
        dial = Dial(client, urls, new_phone())
        await dial.send()
        await dial.send("2")
        pair.redis.stop()
        for _ in range(4):  # both workers, twice: the first call waits at most the Redis timeout, then none
            started = time.monotonic()
            page = await dial.send("1")
            assert time.monotonic() - started < 1.0
            assert page.startswith("END ") and "try again later" in page
            used, limit = ussd_budget_used(page)
            assert used <= limit, f"the apology takes {used} of {limit} characters"
        for url in urls:
            async with client.get(f"{url}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["checks"]["redis"] is False
        pair.redis.start()
        ready: set[str] = set()

        async def all_ready() -> bool:
            for url in urls:
                async with client.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        ready.add(url)
            return ready == set(urls)

        await eventually(all_ready, what=lambda: f"only {ready} ready again after Redis came back", interval=0.1)
        again = Dial(client, urls, dial.phone)  # the citizen dials again: a fresh start, on either worker
        assert "Language" in await again.send()
        assert "Government services" in await again.send("2")


async def test_a_worker_killed_mid_conversation_loses_nothing(pair: Cluster) -> None:
    phone = new_phone()
    a, b = pair.workers
    async with http() as client:
        dial = Dial(client, [a.url, b.url], phone)
        await dial.send()
        for text in SUBMIT[:4]:
            await dial.send(text)
        a.stop()  # SIGKILL, in the middle of the citizen's walk
        dial.urls = itertools.cycle([b.url])  # the load balancer's health check takes it out
        pages = [await dial.send(text) for text in SUBMIT[4:]]
        code = code_in(pages[-1])
        b.stop()  # and the one that acknowledged the request, right after the receipt
        pair.ensure()
        track = Dial(client, [w.url for w in pair.workers], phone)
        await track.send()  # the language is remembered in Redis: straight to home
        status = await track.send("2")
        status = await track.send(code)
    assert "Status: submitted" in status
    assert pair.requests_of(phone) == [(code, "submitted")]
    with sqlite3.connect(pair.store) as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE idempotency_key = ?", (f"receipt:{code}",)).fetchone() == (1,)
