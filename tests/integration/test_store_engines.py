"""What the store promises on every engine, across connections as workers and hosts hold them:
leases, compare-and-set publishing, disjoint outbox claims, migrations applied once, and the same
schema on SQLite and PostgreSQL. Runs on the pass's engine (tests/postgres_server.py); the schema
and migration tests use a PostgreSQL in either pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from clock import ManualClock
from content_sides import CONFIG
from postgres_server import PostgresServer
from waiting import eventually

from gateway.actions import base_actions
from gateway.assembly import open_gateway
from gateway.content.model import configured_content
from gateway.content.store import ContentStore, StaleVersion
from gateway.flowfiles import check_content
from gateway.outbox import Outbox
from gateway.payments.sweeper import LEASE, Sweeper
from gateway.settings import Settings, load_settings
from gateway.store import Database, StoreError
from gateway.store.base import migration_files
from gateway.store.postgres import numbered, without_password
from gateway.store.url import database_at

SETTINGS = load_settings(CONFIG, environ={})


async def test_a_lease_has_one_holder_until_it_runs_out_or_is_given_up(connections: Callable[[], Database]) -> None:
    first, second = await connections(), await connections()  # type: ignore[misc]
    assert await first.lease("sweep", "host-a", 10, now=1000)
    assert not await second.lease("sweep", "host-b", 10, now=1001)      # held by host-a
    assert await first.lease("sweep", "host-a", 10, now=1005)           # renewed: until 1015
    assert not await second.lease("sweep", "host-b", 10, now=1014)
    assert await second.lease("sweep", "host-b", 10, now=1016)          # host-a stopped renewing: it ran out
    assert not await first.lease("sweep", "host-a", 10, now=1017)
    await second.release("sweep", "host-b")
    assert await first.lease("sweep", "host-a", 10, now=1018)           # given up: taken at once
    assert await second.lease("other", "host-b", 10, now=1018)          # leases are per name


async def test_of_two_publishes_prepared_on_the_same_version_one_wins(connections: Callable[[], Database]) -> None:
    stores = [ContentStore(await connections()) for _ in range(2)]  # type: ignore[misc]
    checked = check_content(configured_content(SETTINGS), SETTINGS, base_actions())
    first = await stores[0].publish(checked.content, checked.catalogue, author="a", note="", based_on=None)
    results = await asyncio.gather(*(store.publish(checked.content, checked.catalogue, author=name, note="", based_on=first.number)
                                     for store, name in zip(stores * 2, "bcde", strict=True)), return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1 and all(isinstance(r, StaleVersion) for r in results if r not in won), results
    assert [v.number for v in (await stores[1].versions())[0]] == [2, 1]
    assert await stores[0].live_number() == 2


async def test_workers_claiming_at_once_take_each_message_once(connections: Callable[[], Database]) -> None:
    clock = ManualClock()
    outboxes = [Outbox(await connections(), clock=clock) for _ in range(4)]  # type: ignore[misc]
    ids = {await outboxes[0].enqueue("sms", f"tel:+98912000{n:04d}", "approved") for n in range(60)}
    claims = await asyncio.gather(*(outbox.claim_due(10) for outbox in outboxes * 3))
    taken = [message.id for claim in claims for message in claim]
    assert len(taken) == len(set(taken)) == 60 and set(taken) == ids


async def test_the_payment_sweep_runs_in_one_worker_and_moves_when_it_stops(settings: Settings) -> None:
    gateways = [await open_gateway(settings) for _ in range(2)]
    sweepers = [Sweeper(g.payments, g.db, interval=0.05) for g in gateways]
    try:
        for sweeper in sweepers:
            sweeper.start()

        async def holder() -> str | None:
            row = await gateways[0].db.fetchone("SELECT holder FROM leases WHERE name = ?", (LEASE,))
            return None if row is None else str(row["holder"])

        first = await eventually(holder, what="a sweeper took the lease")
        for _ in range(5):   # renewed pass after pass by the same one
            await asyncio.sleep(0.05)
            assert await holder() == first
        [stopping] = [s for s in sweepers if s.holder == first]
        await stopping.stop()
        [other] = [s for s in sweepers if s is not stopping]
        await eventually(lambda: _is(holder, other.holder), what="the other worker took over")
    finally:
        for sweeper in sweepers:
            await sweeper.stop()
        for gateway in gateways:
            await gateway.close()


async def _is(read: Callable[[], object], expected: str) -> bool:
    return await read() == expected  # type: ignore[misc]


async def test_hosts_starting_together_apply_each_migration_once(postgres_server: PostgresServer) -> None:
    url = postgres_server.database(migrated=False)
    try:
        opened = await asyncio.gather(*(database_at(url).open() for _ in range(4)))
        try:
            rows = await opened[0].fetchall("SELECT version FROM schema_migrations ORDER BY version")
            assert [r["version"] for r in rows] == [v for v, _, _ in migration_files("postgresql")]
            assert [await db.migrate() for db in opened] == [[]] * 4
        finally:
            for db in opened:
                await db.close()
    finally:
        postgres_server.drop(url)


async def test_both_engines_have_the_same_migrations_tables_and_columns(postgres_server: PostgresServer, tmp_path: Path) -> None:
    assert [(v, n) for v, n, _ in migration_files("sqlite")] == [(v, n) for v, n, _ in migration_files("postgresql")]
    lite = await database_at(f"sqlite:///{tmp_path / 's.sqlite3'}").open()
    url = postgres_server.database()
    try:
        tables = [r["name"] for r in await lite.fetchall(  # sqlite_sequence: SQLite's own, there once a table has AUTOINCREMENT
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        sqlite_columns = {t: [r["name"] for r in await lite.fetchall(f"SELECT name FROM pragma_table_info('{t}') ORDER BY cid")]
                          for t in tables}
        conn = await asyncpg.connect(url)
        try:
            pg_columns: dict[str, list[str]] = {}
            for row in await conn.fetch("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
                                        " ORDER BY table_name, ordinal_position"):
                pg_columns.setdefault(row["table_name"], []).append(row["column_name"])
        finally:
            await conn.close()
        assert pg_columns == sqlite_columns
    finally:
        await lite.close()
        postgres_server.drop(url)


def test_placeholders_become_numbered_outside_quoted_text() -> None:
    assert numbered("SELECT ? , '?' , \"a?\" , ? FROM t WHERE x = ?") == "SELECT $1 , '?' , \"a?\" , $2 FROM t WHERE x = $3"


@pytest.mark.parametrize("url, shown", [
    ("mysql://root:hunter2@db/x", "'db/x'"), ("sqlite://relative.db", "'sqlite://relative.db'"), ("", "''"),
])
def test_a_store_url_of_no_known_engine_is_refused_without_its_password(url: str, shown: str) -> None:
    with pytest.raises(StoreError) as refused:
        database_at(url)
    assert shown in str(refused.value) and "hunter2" not in str(refused.value) and "postgresql://" in str(refused.value)
    assert without_password("postgresql://app:hunter2@db:5432/p") == "postgresql://app:***@db:5432/p"


async def test_an_unreachable_postgresql_is_one_clear_error() -> None:
    with pytest.raises(StoreError) as refused:
        await database_at("postgresql://app:hunter2@127.0.0.1:9/pishkhan").open()
    assert "cannot connect" in str(refused.value) and "store.url" in str(refused.value) and "hunter2" not in str(refused.value)


def test_settings_refuse_both_a_url_and_a_path() -> None:
    from gateway.settings_base import SettingsError
    with pytest.raises(SettingsError, match="`store.url` and `store.path` are both set"):
        SETTINGS.updated({"store": {"url": "sqlite:///a.sqlite3", "path": "b.sqlite3"}})
    with pytest.raises(SettingsError, match="`store.url`: store URL 'x' is not"):
        SETTINGS.updated({"store": {"url": "x"}})
    relative = SETTINGS.updated({"store": {"url": "sqlite:///../var/other.sqlite3"}})
    assert relative.store_url() == f"sqlite:///{(CONFIG / '../var/other.sqlite3').resolve()}"


def test_a_sqlite_file_is_still_the_default() -> None:
    assert SETTINGS.store_url() == f"sqlite:///{(CONFIG / '../var/pishkhan.sqlite3').resolve()}"
