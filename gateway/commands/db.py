"""`pishkhan db migrate`: apply pending store migrations (start-up does the same). `db copy`: move a
pilot's store into another (SQLite into PostgreSQL), checked by counts and checksums; `db compare`:
that check alone."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from flows.errors import PishkhanError
from gateway.commands.common import config_option, report, settings_of
from gateway.store import Database, StoreError
from gateway.store.copy import Comparison, check_source, compare, copy_store, open_source
from gateway.store.url import SQLITE, check_url, database_at, sqlite_path, sqlite_url


async def _migrate(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    db = await Database.of(settings).open(migrate=False)
    try:
        applied = await db.migrate()
    finally:
        await db.close()
    for name in applied:
        print(f"applied {name}")
    print(f"ok: {db.where} is up to date ({len(applied)} applied)")
    return 0


def store_url(url: str, config: str) -> str:
    """`url` as `store.url` reads it: a relative SQLite path is under the configuration directory."""
    check_url(url)
    return sqlite_url(sqlite_path(url, Path(config))) if url.startswith(SQLITE) else url


AFTER_COPY = ("; the copy is committed, but do not serve from it: if the pilot was still running, stop it "
              "and copy again into a new database")


def print_report(compared: list[Comparison], seconds: float | None = None) -> int:
    """One line per table and a total; exit 1 naming the tables whose count or checksum differ
    (after a copy, `seconds` long, saying what to do)."""
    for c in compared:
        if c.same:
            verdict = "ok"
        elif c.source.rows != c.target.rows:
            verdict = f"DIFFERS: {c.target.rows:,} rows in the target"
        else:
            verdict = "DIFFERS: same count, different rows"
        print(f"{c.table:<22}{c.source.rows:>12,} rows  {verdict}")
    rows = sum(c.source.rows for c in compared)
    differ = [c.table for c in compared if not c.same]
    timing = f", copied in {seconds:.1f} s ({rows / max(seconds, 1e-6):,.0f} rows/s)" if seconds is not None else ""
    print(f"{'total':<22}{rows:>12,} rows  {'ok' if not differ else 'DIFFERS'} ({len(compared)} tables{timing})")
    if differ:
        after = AFTER_COPY if seconds is not None else ""
        return report(StoreError(f"the target differs from the source in {', '.join(differ)}{after}"))
    return 0


async def _copy(args: argparse.Namespace) -> int:
    source = await open_source(store_url(args.source, args.config))
    try:
        await check_source(source)  # before the target is opened: a SQLite target's file is not even created
        target = await database_at(store_url(args.target, args.config)).open(migrate=False)
        try:
            print(f"copying {source.where} -> {target.where}")
            started = time.monotonic()
            await copy_store(source, target)
            seconds = time.monotonic() - started
            return print_report(await compare(source, target), seconds)
        finally:
            await target.close()
    finally:
        await source.close()


async def _compare(args: argparse.Namespace) -> int:
    source = await open_source(store_url(args.source, args.config))
    try:
        target = await open_source(store_url(args.target, args.config))
        try:
            await check_source(source)
            await check_source(target, "target")  # both at this build: the same tables and columns to compare
            print(f"comparing {source.where} with {target.where}")
            return print_report(await compare(source, target))
        finally:
            await target.close()
    finally:
        await source.close()


def _run(work: Callable[[argparse.Namespace], Coroutine[Any, Any, int]]) -> Callable[[argparse.Namespace], int]:
    """A handler running `work`; exit 1 with the reason on a store or configuration error."""
    def handler(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(work(args))
        except PishkhanError as error:
            return report(error)
    return handler


def _stores(parser: argparse.ArgumentParser) -> None:
    for option, dest, what in (("--from", "source", "the pilot's store"), ("--to", "target", "the store to fill")):
        parser.add_argument(option, dest=dest, required=True, metavar="URL",
                            help=f"{what}: sqlite:///path (relative to the config directory, as store.url) or postgresql://…")
    config_option(parser)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `db migrate`, `db copy` and `db compare`."""
    db = commands.add_parser("db", help="the store (SQLite or PostgreSQL)").add_subparsers(dest="db_command", required=True)
    run = db.add_parser("migrate", help="apply pending migrations")
    config_option(run)
    run.set_defaults(handler=_run(_migrate))
    copy = db.add_parser("copy", help="copy a store into an empty one (a pilot into production), then check both agree")
    _stores(copy)
    copy.set_defaults(handler=_run(_copy))
    check = db.add_parser("compare", help="check two stores hold the same rows (counts and checksums per table)")
    _stores(check)
    check.set_defaults(handler=_run(_compare))
