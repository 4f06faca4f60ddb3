"""`pishkhan db copy` and `db compare`: a pilot filled through the real gateway is copied into an empty
store of either engine with its ids, checked by counts and checksums, and served from there; a
non-empty target, a source behind this build's migrations and a URL of no engine are refused.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_tokens import role_headers
from console_pages import make_user, sign_in
from content_sides import CONFIG
from fakes.payer import apply_by_ussd, outbox, pay_in_sandbox
from postgres_server import query

from gateway.app import create_app
from gateway.assembly import open_gateway
from gateway.cli import main
from gateway.runtime import GATEWAY
from gateway.settings import load_settings
from gateway.store.copy import SKIPPED, TABLES, table_names
from gateway.store.url import database_at

SETTINGS = load_settings(CONFIG, environ={})
ID_CARD = ("121095100", {"national_code": "0499370899", "birth_date": "1375/06/21"})
_numbers = itertools.count()


@pytest.fixture
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Makes an empty store of an engine (no table yet); PostgreSQL ones are dropped afterwards."""
    made: list[str] = []

    def make(engine: str) -> str:
        if engine == "sqlite":
            return f"sqlite:///{tmp_path / f'store{next(_numbers)}.sqlite3'}"
        made.append(request.getfixturevalue("postgres_server").database(migrated=False))
        return made[-1]

    yield make
    for url in made:
        request.getfixturevalue("postgres_server").drop(url)


async def fill_pilot(aiohttp_client: Any, url: str) -> list[str]:
    """A pilot's store as the gateway leaves it: tokens, a paid request (delivered and rated) and one whose expired link was
    renewed (a payment naming a newer one), their outbox rows and audit, a card edited over the
    API (content version 2), a console account signed in. The tracking codes; the gateway is stopped after."""
    client = await aiohttp_client(await create_app(SETTINGS.updated({"store": {"url": url}})))
    gateway = client.app[GATEWAY]
    admin = (await role_headers(gateway.db))["admin"]
    subscribed = await client.post("/api/v1/agencies/sabt/subscriptions", headers=admin,  # the agency hears of what follows
                                   json={"url": "https://sabt.example/events", "types": ["request.submitted", "payment.paid"]})
    assert subscribed.status == 201
    paid = await apply_by_ussd(client)
    [link] = await outbox(client, "payment_link")
    assert (await pay_in_sandbox(client, link["meta"]["url"])).status == 200
    for status in ("in_review", "approved", "delivered"):  # a satisfaction survey, asked and answered
        await gateway.requests.transition(paid, status, actor="desk 3", reason=None)
    [survey] = await gateway.feedback.surveys.remembered("tel:+989121234567")
    await gateway.feedback.surveys.rate(survey, 5, "quick")
    assert (await client.patch("/api/v1/services/121095100", json={"fee": 350000}, headers=admin)).status == 200
    await make_user(client, "maryam", "admin")  # a console account moves with the pilot (its sessions do not)
    assert (await sign_in(client, "maryam")).status == 303
    record = await gateway.requests.submit(*ID_CARD, channel="sms", address="tel:+989121110000", phone="+989121110000", lang="fa")
    [payment] = await gateway.payments.store.for_request(record.id)
    await gateway.payments.store.transition(payment.id, "expired", reason="link expired unused")
    assert await gateway.payments.issue(record, renews=payment.id) is not None
    await client.close()  # the pilot is stopped before its data moves
    return [paid, record.tracking_code]


def counts(url: str) -> dict[str, int]:
    return {t.name: int(query(url, f"SELECT count(*) AS n FROM {t.name}")[0]["n"]) for t in TABLES}


def line(table: str, rows: int, verdict: str) -> str:
    """A line of the report as the command prints it."""
    return f"{table:<22}{rows:>12,} rows  {verdict}"


async def db(*args: str) -> int:
    """`pishkhan db …` as from a shell (its own event loop)."""
    return await asyncio.to_thread(main, ["--config", str(CONFIG), "db", *args])


@pytest.mark.parametrize(("source_engine", "target_engine"), [("sqlite", "postgresql"), ("postgresql", "sqlite"), ("sqlite", "sqlite")])
async def test_a_pilot_moves_with_its_ids_and_the_target_serves_it(  # type: ignore[no-untyped-def]
        aiohttp_client, new_store, capsys, source_engine: str, target_engine: str) -> None:
    source, target = new_store(source_engine), new_store(target_engine)
    paid, renewed = await fill_pilot(aiohttp_client, source)
    before = counts(source)

    assert await db("copy", "--from", source, "--to", target) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert [line(table, rows, "ok") for table, rows in before.items()] == lines[1:-1]
    assert lines[-1].startswith(line("total", sum(before.values()), f"ok ({len(TABLES)} tables, copied in"))
    assert counts(target) == before
    assert before["requests"] == 2 and before["content_versions"] == 2 and before["api_tokens"] == 3 and before["payments"] == 3
    assert before["feedback_surveys"] == 1 and before["event_subscriptions"] == 1 and before["events"] == 7  # 2 submitted, paid, 3 moves, rated
    for sql in ("SELECT id, tracking_code, status, payment_state FROM requests ORDER BY id",
                "SELECT id, request_id, state, renewed_by FROM payments ORDER BY id", "SELECT * FROM outbox ORDER BY id",
                "SELECT id, parent FROM services ORDER BY id", "SELECT * FROM feedback_surveys", "SELECT * FROM events ORDER BY id",
                "SELECT * FROM event_subscriptions"):
        assert query(target, sql) == query(source, sql)
    assert [r["renewed_by"] for r in query(target, "SELECT renewed_by FROM payments ORDER BY id")] == [None, 3, None]

    assert await db("copy", "--from", source, "--to", target) == 1  # a second copy: refused, nothing written
    err = capsys.readouterr().err
    assert "is not empty: agencies has" in err and "requests has 2 rows" in err and "point --to at a new database" in err
    assert counts(target) == before

    gateway = await open_gateway(SETTINGS.updated({"store": {"url": target}}))
    try:
        found = await gateway.requests.get(paid)
        assert found is not None and found.payment_state == "paid" and await gateway.requests.get(renewed) is not None
        assert gateway.content.served.version.number == 2
        fresh = await gateway.requests.submit(*ID_CARD, channel="ussd", address="tel:+989121112222", phone="+989121112222", lang="en")
        assert fresh.id == 3 and fresh.fee == 350000  # the identity sequences were moved past the copied ids
        [payment] = await gateway.payments.store.for_request(fresh.id)
        assert payment.id == 4
    finally:
        await gateway.close()


async def test_compare_names_a_table_that_differs(aiohttp_client, store_url: str, new_store, capsys) -> None:  # type: ignore[no-untyped-def]
    target = new_store("postgresql")
    await fill_pilot(aiohttp_client, store_url)
    assert await db("copy", "--from", store_url, "--to", target) == 0
    assert await db("compare", "--from", store_url, "--to", target) == 0
    assert capsys.readouterr().out.splitlines()[-1].split()[-3:] == ["ok", f"({len(TABLES)}", "tables)"]

    audit = counts(store_url)["audit"]
    query(target, "UPDATE requests SET status = 'done' WHERE id = 1")
    query(target, "DELETE FROM audit WHERE id = 1")
    assert await db("compare", "--from", store_url, "--to", target) == 1
    out, err = capsys.readouterr()
    assert line("requests", 2, "DIFFERS: same count, different rows") in out.splitlines()
    assert line("audit", audit, f"DIFFERS: {audit - 1:,} rows in the target") in out.splitlines()
    assert "error: the target differs from the source in audit, requests" in err

    query(target, "DELETE FROM schema_migrations WHERE version = 50")
    assert await db("compare", "--from", store_url, "--to", target) == 1
    assert f"error: target {target} lacks migrations 0050_leases: run `pishkhan db migrate` against it first" in capsys.readouterr().err


def behind(url: str) -> str:
    """`url` as a build without the leases migration left it (that migration not applied)."""
    asyncio.run(_migrate(url))
    query(url, "DROP TABLE leases")
    query(url, "DELETE FROM schema_migrations WHERE version = 50")
    return url


async def _migrate(url: str) -> None:
    await (await database_at(url).open()).close()


def test_a_source_behind_this_build_is_refused_and_left_alone(empty_store_url: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    source, target = behind(empty_store_url), f"sqlite:///{tmp_path / 'target.sqlite3'}"
    assert main(["db", "copy", "--from", source, "--to", target]) == 1
    err = capsys.readouterr().err
    assert "lacks migrations 0050_leases: run `pishkhan db migrate` against it first" in err
    assert query(source, "SELECT count(*) AS n FROM schema_migrations WHERE version = 50") == [{"n": 0}]  # not migrated by the copy
    assert not (tmp_path / "target.sqlite3").exists()


def test_a_non_empty_target_of_an_older_build_is_refused_before_it_is_migrated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = f"sqlite:///{tmp_path / 'source.sqlite3'}", behind(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    asyncio.run(_migrate(source))
    query(target, "INSERT INTO sms_optouts (address, keyword, created_at) VALUES ('tel:+989120000000', 'STOP', 1)")
    assert main(["db", "copy", "--from", source, "--to", target]) == 1
    assert f"error: target {tmp_path / 'target.sqlite3'} is not empty: sms_optouts has 1 rows" in capsys.readouterr().err
    assert "leases" not in asyncio.run(_tables(target))


async def _tables(url: str) -> set[str]:
    store = await database_at(url).open(migrate=False)
    try:
        return await table_names(store)
    finally:
        await store.close()


@pytest.mark.parametrize(("to", "shown", "hidden"), [
    ("mysql://pilot:s3cret@db.example/pishkhan", "store URL 'db.example/pishkhan' is not sqlite:///path nor postgresql://", "s3cret"),
    ("postgresql://pilot:s3cret@127.0.0.1:1/pishkhan", "store postgresql://pilot:***@127.0.0.1:1/pishkhan: cannot connect", "s3cret"),
])
def test_a_target_url_of_no_engine_or_unreachable_is_one_error_without_its_password(  # type: ignore[no-untyped-def]
        tmp_path: Path, capsys, to: str, shown: str, hidden: str) -> None:
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    asyncio.run(_migrate(source))
    assert main(["db", "copy", "--from", source, "--to", to]) == 1
    out, err = capsys.readouterr()
    assert shown in err and hidden not in out + err


def test_a_missing_source_file_is_refused_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "copy", "--from", f"sqlite:///{tmp_path / 'nope.sqlite3'}", "--to", f"sqlite:///{tmp_path / 't.sqlite3'}"]) == 1
    assert f"store {tmp_path / 'nope.sqlite3'}: no such file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


async def test_every_table_is_copied_or_skipped_for_a_reason_in_foreign_key_order(tmp_path: Path) -> None:
    store = await database_at(f"sqlite:///{tmp_path / 's.sqlite3'}").open()
    try:
        order = [t.name for t in TABLES]
        assert await table_names(store) == set(order) | set(SKIPPED)  # a new table must be listed in one or the other
        for table in TABLES:
            key = await store.fetchall(f"SELECT name FROM pragma_table_info('{table.name}') WHERE pk > 0 ORDER BY pk")
            assert tuple(r["name"] for r in key) == table.key, table.name
            for fk in await store.fetchall(f"SELECT \"table\" AS parent, \"from\" AS col FROM pragma_foreign_key_list('{table.name}')"):
                if fk["parent"] == table.name:
                    assert fk["col"] == table.later, f"{table.name}.{fk['col']} refers to its own table: set it `later`"
                else:
                    assert order.index(fk["parent"]) < order.index(table.name), f"{table.name} is listed before {fk['parent']}"
    finally:
        await store.close()


async def test_a_row_the_target_refuses_is_named_and_nothing_is_copied(new_store, capsys) -> None:  # type: ignore[no-untyped-def]
    source, target = new_store("sqlite"), new_store("postgresql")
    await _migrate(source)
    query(source, "INSERT INTO categories (id, title, position) VALUES ('identity', '{}', 1)")
    query(source, "INSERT INTO sms_optouts (address, keyword, created_at) VALUES ('tel:+989120000000', 'STOP' || char(0), 1)")
    assert await db("copy", "--from", source, "--to", target) == 1  # PostgreSQL's text cannot hold a NUL; SQLite's can
    assert f"error: copying sms_optouts into {target} failed, so nothing was copied: " in capsys.readouterr().err
    assert set(counts(target).values()) == {0}


async def test_a_value_the_check_cannot_compare_is_named(new_store, capsys) -> None:  # type: ignore[no-untyped-def]
    source, target = new_store("sqlite"), new_store("sqlite")
    await _migrate(source)
    query(source, "INSERT INTO sms_optouts (address, keyword, created_at) VALUES ('tel:+989120000000', X'00ff', 1)")  # SQLite takes a blob anywhere
    assert await db("copy", "--from", source, "--to", target) == 1
    assert "error: sms_optouts: Object of type bytes is not JSON serializable, which the copy's check cannot compare" in capsys.readouterr().err


def test_relative_sqlite_urls_are_under_the_config_directory_as_store_url(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    asyncio.run(_migrate(f"sqlite:///{tmp_path / 'config' / 'pilot.sqlite3'}"))
    assert main(["--config", str(tmp_path / "config"), "db", "copy", "--from", "sqlite:///pilot.sqlite3", "--to", "sqlite:///../prod.sqlite3"]) == 0
    assert "categories" in asyncio.run(_tables(f"sqlite:///{tmp_path / 'prod.sqlite3'}"))


async def test_a_value_that_does_not_survive_the_copy_fails_the_check(new_store, capsys) -> None:  # type: ignore[no-untyped-def]
    source, target = new_store("postgresql"), new_store("sqlite")
    await _migrate(source)
    query(source, "INSERT INTO api_tokens (name, role, token_hash, created_at, revoked_at) VALUES ('desk', 'viewer', 'h', 1, 'NaN')")
    assert await db("copy", "--from", source, "--to", target) == 1  # SQLite stores a NaN as NULL
    out, err = capsys.readouterr()
    assert line("api_tokens", 1, "DIFFERS: same count, different rows") in out.splitlines()
    assert "error: the target differs from the source in api_tokens; the copy is committed, but do not serve from it" in err
