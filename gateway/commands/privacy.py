"""`pishkhan privacy sweep`: the retention job once, now, from a shell (or `--dry-run`: what it would erase).

For an operator who lowered `privacy.retention_days` and wants it to hold today, or who wants to see what
the next passes will erase before they do. It erases everything due (pass after pass of the job's size),
exactly as the gateway's job does, audited the same (`privacy:retention`). Safe while the gateway runs:
each erasure re-reads its request under a lock and skips one already erased, so it may overlap the job.
"""

from __future__ import annotations

import argparse

from gateway.audit import AuditLog
from gateway.catalogue.store import CatalogueStore
from gateway.commands.common import config_option, run_on_store, settings_of
from gateway.privacy.erasure import Eraser
from gateway.store import Database

PASS = 500
"""Requests one pass erases, as the job's pass does."""


def sweep(args: argparse.Namespace) -> int:
    """Erase what is past `privacy.retention_days` (or count it) and print how many requests and messages."""
    days = settings_of(args).privacy.retention_days

    async def work(db: Database) -> int:
        catalogue = await CatalogueStore(db).load()
        eraser = Eraser(db, lambda: catalogue, AuditLog(db))
        if args.dry_run:
            due = await eraser.due(days)
            print(f"would erase the personal inputs of {due.requests} requests and the texts of {due.messages} messages"
                  f" (finished or sent more than {days} days ago); nothing was changed")
            return 0
        requests = messages = 0
        while True:
            swept = await eraser.sweep(days, PASS)
            requests, messages = requests + swept.requests, messages + swept.messages
            if swept.requests < PASS:
                break
        print(f"erased the personal inputs of {requests} requests and the texts of {messages} messages"
              f" (finished or sent more than {days} days ago)")
        return 0

    return run_on_store(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `privacy sweep`."""
    privacy = commands.add_parser("privacy", help="personal data kept about citizens").add_subparsers(dest="privacy_command", required=True)
    now = privacy.add_parser("sweep", help="run the retention job once now: erase what is past privacy.retention_days")
    now.add_argument("--dry-run", action="store_true", help="only print how many requests and messages would be erased")
    now.set_defaults(handler=sweep)
    config_option(now)
