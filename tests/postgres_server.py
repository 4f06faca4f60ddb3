"""A real PostgreSQL for tests, and the store each test writes to.

Two passes of the same suite: by default every test's store is a SQLite file in its temporary
directory; with `PISHKHAN_STORE_URL=postgresql://…` (an account that may create databases, as
`.ci/run` sets for its second pass) every test that uses a store gets a fresh PostgreSQL database
of its own instead, made from a migrated template, and dropped afterwards. In that pass the tests
that never touch a store are deselected (they would run exactly as in the first pass), and so are
those marked `sqlite` and those driving a browser (what a page looks like does not depend on the
store's engine; every console page's HTTP tests, which do, run in both passes).

Tests that need PostgreSQL in either pass (`db copy`, two hosts) use `postgres_server`: the
server `PISHKHAN_TEST_POSTGRES_URL` names, or a throwaway cluster started here (initdb as an
unprivileged user, fsync off: it is thrown away).
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from redis_server import free_port
from waiting import eventually_blocking

from gateway.store.postgres import PostgresDatabase
from gateway.store.url import database_at

ADMIN_URL = os.environ.pop("PISHKHAN_STORE_URL", "")
"""The PostgreSQL pass's server, taken out of the environment so no test's subprocess inherits it
by accident: each test names its own database."""
POSTGRES_PASS = ADMIN_URL.startswith(("postgresql://", "postgres://"))
TEMPLATE = f"pishkhan_template_{os.getpid()}"
"""Per test process: .ci/run runs the SQLite and PostgreSQL passes side by side on one server, and both
make databases (the SQLite pass for `db copy` and two hosts)."""
STORE_FIXTURES = {"store_url", "empty_store_url"}
_numbers = itertools.count()
T = TypeVar("T")


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _own_loop(run: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end on a loop of its own, in a thread: sync fixtures and helpers are
    called from async tests too, whose loop is already running."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, run()).result()


def _admin(url: str, *statements: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()
    _own_loop(run)


class PostgresServer:
    """A server tests may create databases on; `database()` makes a fresh, migrated one.

    Making a database copies the template (a few hundred ms on a busy machine) and dropping one
    waits for its files to go: both happen on a thread of their own while tests run, so the next
    migrated database is usually ready before it is asked for."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._template_ready = False
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="postgres-admin")
        self._next: Future[str] | None = None

    def _template(self) -> None:
        if self._template_ready:
            return
        _admin(self.admin_url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE}")

        async def migrate() -> None:
            await (await PostgresDatabase(with_database(self.admin_url, TEMPLATE)).open()).close()
        _own_loop(migrate)
        self._template_ready = True

    def _create(self, migrated: bool) -> str:
        name = f"pishkhan_{os.getpid()}_{next(_numbers)}"
        if migrated:
            self._template()
        _admin(self.admin_url, f"CREATE DATABASE {name}" + (f" TEMPLATE {TEMPLATE} STRATEGY FILE_COPY" if migrated else ""))
        return with_database(self.admin_url, name)

    def database(self, *, migrated: bool = True) -> str:
        """The URL of a new database of this test run (a copy of the migrated template, or empty)."""
        if not migrated:
            return self._worker.submit(self._create, False).result()
        ready = self._next or self._worker.submit(self._create, True)
        self._next = self._worker.submit(self._create, True)
        return ready.result()

    def drop(self, url: str) -> None:
        """Drop a database `database()` made, whoever is still connected to it (in the background)."""
        self._worker.submit(_admin, self.admin_url, f"DROP DATABASE IF EXISTS {urlsplit(url).path.lstrip('/')} WITH (FORCE)")

    def close(self) -> None:
        """Finish the pending drops (and drop the database made ahead for a test that never came, and
        the template: the next run makes its own)."""
        if self._next is not None:
            self.drop(self._next.result())
        if self._template_ready:
            self._worker.submit(_admin, self.admin_url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._worker.shutdown(wait=True)


class LocalCluster:
    """`initdb` + `pg_ctl` in a temporary directory, owned by an unprivileged user when run as root
    (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found and shutil.which("pg_ctl") is None:
            pytest.fail("PostgreSQL is not installed: `apt-get install postgresql` (or run .ci/run, which does)")
        self.bin = Path(found[-1]).parent if found else Path(shutil.which("pg_ctl") or "").parent
        self.directory = Path(tempfile.mkdtemp(prefix="pishkhan-pg-"))
        self.port = free_port()
        self.user = "nobody" if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.directory, pwd.getpwnam(self.user).pw_uid, -1)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run([*prefix, *command], check=True, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> LocalCluster:
        data = self.directory / "data"
        if not data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", "start")
        eventually_blocking(self.answers, 20, "PostgreSQL did not start")
        return self

    def answers(self) -> bool:
        try:
            _admin(self.url, "SELECT 1")
            return True
        except (OSError, asyncpg.PostgresError):
            return False

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m fast` (or `immediate`: a crash, recovered at the next start)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL to make databases on: the pass's own, `PISHKHAN_TEST_POSTGRES_URL`, or a local cluster."""
    given = ADMIN_URL if POSTGRES_PASS else os.environ.get("PISHKHAN_TEST_POSTGRES_URL", "")
    if given:
        server = PostgresServer(given)
        yield server
        server.close()
        return
    cluster = LocalCluster().start()
    server = PostgresServer(cluster.url)
    try:
        yield server
    finally:
        server.close()
        cluster.stop("immediate")
        cluster.remove()


def _store(request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool) -> Iterator[str]:
    if not POSTGRES_PASS:
        yield f"sqlite:///{tmp_path / 'pishkhan.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.database(migrated=migrated)
    try:
        yield url
    finally:
        server.drop(url)


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """This test's store: a SQLite file in its directory, or in the PostgreSQL pass a database of its own
    (migrated: a copy of the template costs a few milliseconds, migrating each one far more)."""
    yield from _store(request, tmp_path, migrated=True)


@pytest.fixture
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like `store_url`, with no table yet: for what the first start or `db migrate` does."""
    yield from _store(request, tmp_path, migrated=False)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the PostgreSQL pass, keep only the tests that use a store, and not those marked `sqlite`
    (they provoke a failure through SQLite's own mechanics: its file lock, a trigger, its counters) nor
    those in a Chromium (layout, direction, contrast: the same on either engine, and minutes of CI)."""
    if not POSTGRES_PASS:
        return
    kept = [item for item in items
            if STORE_FIXTURES & set(names := getattr(item, "fixturenames", ())) and "chromium" not in names
            and item.get_closest_marker("sqlite") is None]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


def query(url: str, sql: str, params: tuple[object, ...] = ()) -> list[dict[str, object]]:
    """Rows of one statement on the store at `url`, from a test's own connection (as an operator's
    psql or sqlite3 shell would read them), for tests that are not in an event loop."""
    async def run() -> list[dict[str, object]]:
        db = await database_at(url).open(migrate=False)
        try:
            async with db.transaction() as tx:
                return await tx.fetchall(sql, params)
        finally:
            await db.close()
    return _own_loop(run)
