"""`pishkhan payments reconcile [--repair]`: pending, mismatched and orphaned payments, for operators.

Without `--repair` it reads the store only (no provider calls: the running gateway's sweeper
re-verifies); exit 1 when anything is mismatched or orphaned, so a cron job can alert on it.
With `--repair` it acts on each finding the safe way (gateway.payments.repair) and prints what it
did per payment; exit 1 when anything is left: a provider that did not answer, or a money question
for a person.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

from flows.errors import PishkhanError
from gateway.assembly import open_gateway
from gateway.commands.common import config_option, report, settings_of
from gateway.payments.models import PaymentError
from gateway.payments.reconcile import KINDS, Finding, reconcile
from gateway.payments.repair import RESULTS, Repair, repair
from gateway.payments.store import PaymentStore
from gateway.store import Database


def _line(finding: Finding) -> str:
    cells = [finding.kind, f"payment {finding.payment_id}" if finding.payment_id else "-", finding.tracking_code or "-",
             finding.state or "-", f"{finding.amount:,} IRR" if finding.amount else "-", finding.provider or "-", finding.detail]
    return "\t".join(cells)


def _repair_line(done: Repair) -> str:
    cells = [done.result, f"payment {done.payment}" if done.payment else "-", done.finding.tracking_code or "-",
             f"{done.before or '-'} -> {done.after or '-'}", done.why]
    return "\t".join(cells)


def _print(items: Sequence[Finding] | Sequence[Repair], as_json: bool, line: Callable[[Any], str], counts: dict[str, int]) -> None:
    """JSON, or one tab-separated line per item and a count of each kind."""
    if as_json:
        print(json.dumps([i.as_json() for i in items], ensure_ascii=False, indent=2))
        return
    for item in items:
        print(line(item))
    print(", ".join(f"{n} {name}" for name, n in counts.items()))


def _list(args: argparse.Namespace) -> int:
    async def go() -> list[Finding]:
        settings = settings_of(args)
        db = await Database.of(settings).open()
        try:
            return await reconcile(PaymentStore(db))
        finally:
            await db.close()

    findings = asyncio.run(go())
    _print(findings, args.json, _line, {kind: sum(f.kind == kind for f in findings) for kind in KINDS})
    return 1 if any(f.kind != "pending" for f in findings) else 0


def _repair(args: argparse.Namespace) -> int:
    async def go() -> list[Repair]:
        gateway = await open_gateway(settings_of(args))  # the same payment service, provider and outbox as the server
        try:
            if gateway.payments is None:
                raise PaymentError("payments are not enabled in this configuration")
            return await repair(gateway.payments)
        finally:
            await gateway.close()

    done = asyncio.run(go())
    _print(done, args.json, _repair_line, {result: sum(d.result == result for d in done) for result in RESULTS})
    return 1 if any(d.left for d in done) else 0


def run_reconcile(args: argparse.Namespace) -> int:
    """List the findings, or with --repair act on them and print what was done."""
    try:
        return _repair(args) if args.repair else _list(args)
    except PishkhanError as error:
        return report(error)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `payments reconcile`."""
    payments = commands.add_parser("payments", help="fee payments").add_subparsers(dest="payments_command", required=True)
    check = payments.add_parser("reconcile", help="list pending, mismatched and orphaned payments (exit 1 if any mismatched or orphaned)")
    check.add_argument("--json", action="store_true", help="print JSON instead of tab-separated lines")
    check.add_argument("--repair", action="store_true",
                       help="act on each finding (verify with the provider, expire dead links, send missing links) and print what was done;"
                            " exit 1 if anything is left for later or for a person")
    check.set_defaults(handler=run_reconcile)
    config_option(check)
