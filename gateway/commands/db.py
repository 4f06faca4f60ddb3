"""`pishkhan db migrate`: apply pending store migrations (start-up does the same)."""

from __future__ import annotations

import argparse
import asyncio

from flows.errors import PishkhanError
from gateway.commands.common import config_option, report, settings_of
from gateway.store import Database


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


def migrate(args: argparse.Namespace) -> int:
    """Apply pending migrations; exit 1 with the reason when one fails."""
    try:
        return asyncio.run(_migrate(args))
    except PishkhanError as error:
        return report(error)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `db migrate`."""
    db = commands.add_parser("db", help="the store (SQLite or PostgreSQL)").add_subparsers(dest="db_command", required=True)
    run = db.add_parser("migrate", help="apply pending migrations")
    config_option(run)
    run.set_defaults(handler=migrate)
