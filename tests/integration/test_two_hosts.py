"""Two hosts sharing one PostgreSQL and one Redis, behind a round-robin load balancer: one host is
killed with SIGKILL mid-load, PostgreSQL is restarted mid-load (a clean fast stop, and a crash), a
receipt is kept from the outbox by a store failure, and both hosts' dispatchers send one outbox.

Each host is a real `pishkhan serve` with a config directory and a port of its own (host B runs two
workers); the PostgreSQL is a cluster this module starts, so it can stop and start it. Citizens dial
over Africa's Talking USSD, each hop going to the next host in turn, as a provider's traffic reaches
a load balancer: the session lives in Redis, so either host may answer any hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import asyncpg
import pytest
from fakes import kannel as fake_kannel
from fakes.kannel import FakeKannel
from gateway_process import ROOT, GatewayProcess
from postgres_server import LocalCluster, PostgresServer, query
from redis_server import RedisServer
from ussd_citizen import FIRST_ID_CARD_EN, tracking_code
from waiting import eventually, eventually_blocking

from gateway.requests.repair import REPAIR_INTERVAL

HOP_BUDGET = 5.0
"""Seconds a provider waits for a hop before giving the citizen an error (Africa's Talking: about 5)."""
CITIZENS = 6
"""Citizens dialling at once, each submitting requests one session after another."""
OUTAGE = 3.0
"""Seconds PostgreSQL stays down: a restart that takes a few seconds."""
SENT_SUBMISSIONS = 12
"""Requests filed while both hosts dispatch: each queues a receipt and a payment link."""
REPAIR_WAIT = 3 * REPAIR_INTERVAL
"""Seconds a message kept from the outbox by a store failure may take to be queued by the repair."""
AGAIN = ["2", *FIRST_ID_CARD_EN[1:]]
"""The same citizen dialling again after an apology: `Start over` (the session was left on a CON page,
so resuming it is offered), then the same service and answers from home (the language is remembered)."""
RECEIPT = "END Request received. Tracking code:"
POLITE = "CON Your request could not be registered. Please try later."


class Hosts:
    """PostgreSQL, Redis and two gateways, each with its own config directory; `ensure()` brings
    back whatever a test took down."""

    def __init__(self, directory: Path) -> None:
        self.postgres = LocalCluster()
        self.redis = RedisServer(directory)
        self.gateways: list[GatewayProcess] = []
        try:
            self._start(directory)
        except BaseException:
            self.stop()  # what did start, so a failed start leaves no server behind
            raise

    def _start(self, directory: Path) -> None:
        self.postgres.start()
        self.store = PostgresServer(self.postgres.url).database(migrated=False)  # the first host to start migrates it
        self.redis.start()
        env = {"PISHKHAN_REDIS_URL": self.redis.url, "PISHKHAN_REDIS_RETRY_AFTER": "0.2"}
        self.configs = [self._config(directory / name) for name in ("host-a", "host-b")]
        self.gateways = [GatewayProcess(self.store, env=env, args=("--config", str(self.configs[0]))),
                         GatewayProcess(self.store, env=env, args=("--config", str(self.configs[1]), "--workers", "2"))]
        self.ensure()
        self.token = self._token()

    @staticmethod
    def _config(directory: Path) -> Path:
        shutil.copytree(ROOT / "config", directory)
        return directory

    def _token(self) -> str:
        """A viewer token for the operator API, made as an operator would: `pishkhan tokens create` on one host."""
        made = subprocess.run([sys.executable, "-m", "gateway", "tokens", "create", "--role", "viewer", "--config", str(self.configs[0])],
                              cwd=ROOT, env=self.gateways[0].env, capture_output=True, text=True, timeout=30)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def ensure(self) -> None:
        for gateway in self.gateways:  # one after the other: the first applies the migrations
            if not gateway.alive:
                gateway.start()

    @property
    def urls(self) -> list[str]:
        return [gateway.url for gateway in self.gateways]

    def stop(self) -> None:
        for gateway in self.gateways:
            gateway.stop(signal.SIGTERM)
        self.redis.stop()
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.postgres.stop("immediate")
        self.postgres.remove()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    running = Hosts(tmp_path_factory.mktemp("hosts"))
    yield running  # pytest resumes here after the module's last test, passed or failed
    running.stop()


@pytest.fixture
def hosts(cluster: Hosts) -> Hosts:
    cluster.ensure()
    return cluster


@dataclass(frozen=True)
class Hop:
    """One hop as the provider saw it: which host answered, what, and when (monotonic seconds)."""

    host: str
    status: int
    page: str
    started: float
    ended: float


class Balancer:
    """A round-robin load balancer in front of the hosts. A host that refuses a connection is taken out
    and the request goes to the next one (a proxy's `proxy_next_upstream error`); a host that dies with
    the request in flight costs that request a 502, as a proxy never resends a POST it has passed on."""

    def __init__(self, http: aiohttp.ClientSession, urls: Sequence[str]) -> None:
        self.http = http
        self.urls = list(urls)
        self.down: set[str] = set()
        self._turn = itertools.count()

    async def post(self, path: str, form: dict[str, str]) -> Hop:
        live = [url for url in self.urls if url not in self.down]
        first = next(self._turn)
        for offset in range(len(live)):
            url = live[(first + offset) % len(live)]
            started = time.monotonic()
            try:
                async with self.http.post(f"{url}{path}", data=form) as response:
                    return Hop(url, response.status, await response.text(), started, time.monotonic())
            except aiohttp.ClientConnectorError:
                self.down.add(url)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                return Hop(url, 502, "", started, time.monotonic())
        raise AssertionError(f"no host takes connections: {self.urls}")


@dataclass
class Session:
    """One citizen's USSD session (a phone of its own) from dialling to the last page."""

    phone: str = field(default_factory=lambda: f"+98912{uuid.uuid4().int % 10_000_000:07d}")
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    hops: list[Hop] = field(default_factory=list)

    @property
    def last(self) -> Hop:
        return self.hops[-1]

    @property
    def code(self) -> str | None:
        """The tracking code the citizen saw, if the session ended on a receipt."""
        return tracking_code(self.last.page) if self.last.page.startswith(RECEIPT) else None


async def submit(balancer: Balancer, inputs: Sequence[str] = FIRST_ID_CARD_EN, phone: str | None = None) -> Session:
    """Dial (from a new phone, or `phone`) and walk to the receipt (or whatever the last hop answers). A
    hop that got a 502 is sent again once, the same text, as a provider repeats a hop it got no answer to."""
    session = Session(phone=phone) if phone else Session()
    for hop in range(len(inputs) + 1):
        form = {"sessionId": session.session_id, "serviceCode": "*4#", "phoneNumber": session.phone, "text": "*".join(inputs[:hop])}
        session.hops.append(await balancer.post("/ussd/africastalking", form))
        if session.last.status == 502:
            session.hops.append(await balancer.post("/ussd/africastalking", form))
    return session


class Load:
    """CITIZENS citizens submitting, each one session after another, until `stop()`."""

    def __init__(self, balancer: Balancer) -> None:
        self.balancer = balancer
        self.sessions: list[Session] = []
        self._stopping = asyncio.Event()
        self._tasks = [asyncio.create_task(self._citizen()) for _ in range(CITIZENS)]

    async def _citizen(self) -> None:
        while not self._stopping.is_set():
            self.sessions.append(await submit(self.balancer))

    def ended(self, where: str, since: float = 0.0) -> list[Session]:
        """Sessions whose last page is `where` (RECEIPT or POLITE), answered after `since`."""
        for task in self._tasks:  # a citizen that failed fails the test now, not at the timeout
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return [s for s in self.sessions if s.last.page.startswith(where) and s.last.ended > since]

    async def stop(self) -> list[Session]:
        self._stopping.set()
        await asyncio.gather(*self._tasks)
        return self.sessions


def http() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HOP_BUDGET + 1))


def receipts_queued(store: str) -> dict[str, int]:
    """Receipt SMS in the outbox, by tracking code."""
    rows = query(store, "SELECT idempotency_key, count(*) AS n FROM outbox WHERE idempotency_key LIKE 'receipt:%' GROUP BY idempotency_key")
    return {str(row["idempotency_key"]).removeprefix("receipt:"): int(row["n"]) for row in rows}  # type: ignore[call-overload]


def stored_once(store: str, sessions: list[Session]) -> None:
    """Every tracking code a citizen saw is one request of that citizen, with one receipt SMS queued
    (at once, or by the repair of messages a store failure kept from the outbox); no session made two requests."""
    phones = {s.phone for s in sessions}
    rows = [r for r in query(store, "SELECT phone, tracking_code FROM requests") if r["phone"] in phones]
    per_phone: dict[object, list[object]] = {}
    for row in rows:
        per_phone.setdefault(row["phone"], []).append(row["tracking_code"])
    assert {phone: codes for phone, codes in per_phone.items() if len(codes) > 1} == {}, "a session made two requests"
    seen = {s.code: s.phone for s in sessions if s.code}
    assert {code: per_phone.get(phone) for code, phone in seen.items() if per_phone.get(phone) != [code]} == {}, "acknowledged, not stored"

    def not_queued_once() -> dict[str, int | None]:
        counts = receipts_queued(store)
        return {code: counts.get(code) for code in seen if counts.get(code) != 1}

    eventually_blocking(lambda: not not_queued_once(), REPAIR_WAIT, lambda: f"receipt SMS not queued once: {not_queued_once()}", 0.2)


async def test_a_host_killed_mid_load_loses_no_acknowledged_request(hosts: Hosts) -> None:
    a, b = hosts.gateways
    async with http() as client:
        balancer = Balancer(client, hosts.urls)
        load = Load(balancer)
        await eventually(lambda: len(load.ended(RECEIPT)) >= CITIZENS, 30, "citizens got no receipts from the two hosts", 0.05)
        a.stop()  # SIGKILL, with hops of several citizens in flight
        killed = time.monotonic()
        await eventually(lambda: len(load.ended(RECEIPT, killed)) >= 2 * CITIZENS, 30, "host B did not go on serving", 0.05)
        sessions = await load.stop()
        async with client.get(f"{b.url}/readyz") as response:
            assert response.status == 200, await response.text()
    cut = sum(1 for s in sessions for hop in s.hops if hop.status == 502)
    print(f"\nhost A killed: {len(load.ended(RECEIPT, killed))} receipts from host B after it, {cut} hops cut in flight and repeated")
    assert balancer.down == {a.url}
    hops = [hop for s in sessions for hop in s.hops]
    assert {hop.host for hop in hops if hop.ended < killed} == {a.url, b.url}  # round robin, until the kill
    # after it, only B answers (a hop sent to A on a keep-alive connection opened before the kill gets a 502, and is repeated)
    assert {hop.host for hop in hops if hop.started > killed and hop.status == 200} == {b.url}
    assert [s.last.page for s in sessions if not s.code] == []  # a hop cut by the kill was repeated and answered
    assert [hop for hop in hops if hop.status not in (200, 502)] == []
    stored_once(hosts.store, sessions)


async def test_a_receipt_a_store_failure_kept_from_the_outbox_is_queued_without_a_restart(hosts: Hosts) -> None:
    """The request is committed, then its receipt queued in a second transaction: the store failing in
    between (PostgreSQL stopping, as seen in the restart test, or a host killed) leaves the citizen
    with a tracking code and no SMS. Here the failure is made certain: receipts are refused by a
    constraint for one submission, then allowed again; neither host is restarted."""
    query(hosts.store, "ALTER TABLE outbox ADD CONSTRAINT hold_receipts CHECK (kind <> 'receipt') NOT VALID")
    try:
        async with http() as client:
            session = await submit(Balancer(client, hosts.urls))
        assert session.code, session.last.page  # acknowledged: its receipt failed after the commit
        assert session.code not in receipts_queued(hosts.store)
    finally:
        query(hosts.store, "ALTER TABLE outbox DROP CONSTRAINT hold_receipts")
    stored_once(hosts.store, [session])


async def test_a_citizen_told_to_try_later_after_a_slow_commit_gets_the_same_request_again(hosts: Hosts) -> None:
    """The request is committed and its receipt waits behind a lock past the action's time limit: the
    citizen is told to try later, though the request is stored. Dialling again gives the same
    tracking code, not a second request; the receipt is queued once, without a restart."""
    holder = await asyncpg.connect(hosts.store)
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")  # as a long migration or vacuum full would
            async with http() as client:
                told = await submit(Balancer(client, hosts.urls))
        assert told.last.page.startswith(POLITE) and told.last.ended - told.last.started < HOP_BUDGET
        [stored] = query(hosts.store, "SELECT tracking_code FROM requests WHERE phone = ?", (told.phone,))
        async with http() as client:
            again = await submit(Balancer(client, hosts.urls), AGAIN, told.phone)
    finally:
        await holder.close()
    assert again.code == stored["tracking_code"]
    stored_once(hosts.store, [told, again])


async def readiness(client: aiohttp.ClientSession, url: str) -> tuple[int, bool]:
    """/readyz's status and its `store` check."""
    async with client.get(f"{url}/readyz") as response:
        return response.status, json.loads(await response.text())["checks"]["store"]


async def ready(client: aiohttp.ClientSession, url: str) -> bool:
    return await readiness(client, url) == (200, True)


async def request_api(client: aiohttp.ClientSession, url: str, token: str, code: str) -> tuple[int, str | None]:
    """The operator API's GET /api/v1/requests/{code}: status and Retry-After."""
    async with client.get(f"{url}/api/v1/requests/{code}", headers={"Authorization": f"Bearer {token}"}) as response:
        await response.read()
        return response.status, response.headers.get("Retry-After")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgresql_restarted_mid_load_costs_polite_pages_then_recovers(hosts: Hosts, mode: str) -> None:
    async with http() as client:
        balancer = Balancer(client, hosts.urls)
        reference = await submit(balancer)  # the pages every walk must show, outage or not
        load = Load(balancer)
        await eventually(lambda: len(load.ended(RECEIPT)) >= CITIZENS, 30, "no receipts before the outage", 0.05)

        down = time.monotonic()
        await asyncio.to_thread(hosts.postgres.stop, mode)
        acknowledged_before = [s for s in load.sessions if s.code and s.last.ended < down]
        await eventually(lambda: load.ended(POLITE, down), 10, "no polite page while PostgreSQL is down", 0.05)
        for url in hosts.urls:
            assert await readiness(client, url) == (503, False)
            assert await request_api(client, url, hosts.token, reference.code or "") == (503, "5")
        await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - down)))  # hold the outage open
        restarting = time.monotonic()
        await asyncio.to_thread(hosts.postgres.start)  # returns once PostgreSQL answers
        up = time.monotonic()

        await eventually(lambda: load.ended(RECEIPT, up), 10, "no submission stored after PostgreSQL came back", 0.05)
        for url in hosts.urls:  # neither gateway was restarted
            await eventually(lambda u=url: ready(client, u), 5, f"{url} not ready again", 0.05)
            assert await request_api(client, url, hosts.token, reference.code or "") == (200, None)
        sessions = await load.stop()

    polite = [s for s in sessions if s.last.page.startswith(POLITE)]
    first_polite = min(s.last.started for s in polite)
    recovered = min(s.last.ended for s in sessions if s.code and s.last.ended > restarting)
    assert all(s.code or s.last.page.startswith(POLITE) for s in sessions), [s.last.page for s in sessions if not s.code]
    assert recovered - up < 5.0
    assert [hop for s in sessions for hop in s.hops if hop.status != 200 or hop.ended - hop.started > HOP_BUDGET] == []
    walk = [hop.page for hop in reference.hops[:-1]]
    assert [s.phone for s in sessions if [hop.page for hop in s.hops[:-1]] != walk] == []  # menus were served throughout
    assert acknowledged_before and all(s.code for s in acknowledged_before)
    stored_once(hosts.store, [reference, *sessions])
    stored = {row["phone"]: row["tracking_code"] for row in query(hosts.store, "SELECT phone, tracking_code FROM requests")}
    told_later = [s.phone for s in polite if s.phone in stored]
    async with http() as client:  # a citizen told to try later whose request was stored all the same tries again: the same request
        again = await asyncio.gather(*(submit(Balancer(client, hosts.urls), AGAIN, phone) for phone in told_later))
    assert [s.code for s in again] == [stored[phone] for phone in told_later]
    stored_once(hosts.store, again)
    print(f"\nPostgreSQL stop -m {mode}: {recovered - first_polite:.2f} s of polite pages "
          f"(PostgreSQL down from stop to answering again {up - down:.2f} s); first stored submission "
          f"{recovered - up:+.2f} s from pg_ctl start returning ({up - restarting:.2f} s after it was called); "
          f"{len(polite)} polite pages ({len(told_later)} on a request stored all the same, which the next try returned), "
          f"{sum(1 for s in sessions if s.code)} receipts")


async def test_the_outbox_on_two_hosts_sends_each_message_once(cluster: Hosts, aiohttp_server: Any) -> None:
    """Both hosts' dispatchers (three workers) take messages from one stream over one store: the fake
    Kannel gets each receipt and payment link once, and each is recorded sent."""
    kannel = FakeKannel()
    smsbox = await aiohttp_server(kannel.app())
    env = {"PISHKHAN_REDIS_URL": cluster.redis.url, "PISHKHAN_REDIS_PREFIX": "outbox-test:",  # a stream of its own
           "PISHKHAN_SMS_PROVIDERS_KANNEL_BASE_URL": str(smsbox.make_url("")).rstrip("/"),
           "PISHKHAN_SMS_PROVIDERS_KANNEL_USERNAME": fake_kannel.USERNAME, "PISHKHAN_SMS_PROVIDERS_KANNEL_PASSWORD": fake_kannel.PASSWORD,
           "PISHKHAN_SMS_PROVIDERS_KANNEL_RATE": "1000", "PISHKHAN_SMS_PROVIDERS_KANNEL_BURST": "100"}
    store = PostgresServer(cluster.postgres.url).database(migrated=False)
    gateways = [GatewayProcess(store, env=env, args=("--config", str(cluster.configs[0]))),
                GatewayProcess(store, env=env, args=("--config", str(cluster.configs[1]), "--workers", "2"))]
    try:
        for gateway in gateways:  # in a thread: the fake Kannel answers on this loop meanwhile
            await asyncio.to_thread(gateway.start)
        async with http() as client:
            balancer = Balancer(client, [g.url for g in gateways])
            sessions = await asyncio.gather(*(submit(balancer) for _ in range(SENT_SUBMISSIONS)))
        assert all(s.code for s in sessions)

        def all_sent() -> bool:
            states = [row["state"] for row in query(store, "SELECT state FROM outbox")]
            return len(states) == 2 * SENT_SUBMISSIONS and set(states) == {"sent"}

        await eventually(lambda: asyncio.to_thread(all_sent), 20, "the outbox was not all sent", 0.2)
    finally:
        for gateway in gateways:  # stopped before counting: no send can still be on its way
            await asyncio.to_thread(gateway.stop, signal.SIGTERM)
    ids = [row["id"] for row in query(store, "SELECT id FROM outbox")]
    references = Counter(parse_qs(urlsplit(call["dlr-url"]).query)["ref"][0] for call in kannel.calls)
    assert references == Counter(str(i) for i in ids)
