"""`pishkhan payments reconcile`: pending, mismatched and orphaned payments, for operators.

Reads the store only (no provider calls: the running gateway's sweeper re-verifies). Exit code 1
when anything is mismatched or orphaned, so a cron job can alert on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from flows.errors import PishkhanError
from gateway.commands.common import config_option, report, settings_of
from gateway.payments.reconcile import KINDS, Finding, reconcile
from gateway.payments.store import PaymentStore
from gateway.store import Database


def _line(finding: Finding) -> str:
    cells = [finding.kind, f"payment {finding.payment_id}" if finding.payment_id else "-", finding.tracking_code or "-",
             finding.state or "-", f"{finding.amount:,} IRR" if finding.amount else "-", finding.provider or "-", finding.detail]
    return "\t".join(cells)


def run_reconcile(args: argparse.Namespace) -> int:
    """Print every finding, one per line (or JSON), and a count per kind."""
    async def go() -> list[Finding]:
        settings = settings_of(args)
        db = await Database(settings.path(settings.store_path)).open()
        try:
            return await reconcile(PaymentStore(db))
        finally:
            await db.close()

    try:
        findings = asyncio.run(go())
    except PishkhanError as error:
        return report(error)
    if args.json:
        print(json.dumps([f.as_json() for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            print(_line(finding))
        print(", ".join(f"{sum(f.kind == kind for f in findings)} {kind}" for kind in KINDS))
    return 1 if any(f.kind != "pending" for f in findings) else 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `payments reconcile`."""
    payments = commands.add_parser("payments", help="fee payments").add_subparsers(dest="payments_command", required=True)
    check = payments.add_parser("reconcile", help="list pending, mismatched and orphaned payments (exit 1 if any mismatched or orphaned)")
    check.add_argument("--json", action="store_true", help="print JSON instead of tab-separated lines")
    check.set_defaults(handler=run_reconcile)
    config_option(check)
