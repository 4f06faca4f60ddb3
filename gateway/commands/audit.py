"""`pishkhan audit`: who changed content, tokens or a request's status, when, and what, newest first.

The same filters and answers as `GET /api/v1/audit` (gateway.api.audit), straight on the store. One
line per entry; a content change's diff is printed in full with `--full`, or when `--subject` picks
one thing to follow.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gateway.api.audit import FILTERS, entries
from gateway.api.common import ApiError, whole
from gateway.audit import AuditLog
from gateway.calendar import build_calendar
from gateway.commands.common import argument, config_option, run_on_store, settings_of
from gateway.store import Database

MAX_LIMIT = 10000
SUMMARY = 100
"""Characters of an entry's detail shown on its line."""


def summary(detail: dict[str, Any]) -> str:
    """A detail in one short line: `key=value` pairs (empty ones left out), a diff as its length (`--full` prints it)."""
    parts = []
    for key, value in detail.items():
        if value is None:  # a transition without a reason
            continue
        if key == "diff" and isinstance(value, list):
            parts.append(f"diff: {len(value)} lines")
        else:
            parts.append(f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}")
    line = " ".join(parts)
    return line if len(line) <= SUMMARY else line[: SUMMARY - 1] + "…"


def _print(page: dict[str, Any], full: bool) -> None:
    for item in page["items"]:
        print("\t".join((item["at"], item["actor"], item["action"], item["subject"], summary(item["detail"]))))
        diff = item["detail"].get("diff")
        if full and isinstance(diff, list):
            for line in diff:
                print(f"    {line}")
    shown = len(page["items"])
    print(f"{shown} of {page['total']} entries" + (f" (skipped {page['offset']})" if page["offset"] else ""))


def show(args: argparse.Namespace) -> int:
    """Print a page of the audit trail; exit 2 when `--until` is not after `--since`."""
    query = {name: getattr(args, name) for name in ("actor", "action", "subject", "since", "until", "limit", "offset")}

    async def work(db: Database) -> int:
        tz = build_calendar(settings_of(args).calendar).tz
        try:
            page = await entries(AuditLog(db), query, tz)
        except ApiError as error:
            print(f"error: {error.message}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(page, ensure_ascii=False, indent=2))
        else:
            _print(page, args.full or args.subject is not None)
        return 0
    return run_on_store(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `audit`."""
    audit = commands.add_parser("audit", help="who changed content, tokens or request statuses, when and what (newest first)")
    for param in FILTERS:
        audit.add_argument(f"--{param.name}", type=argument(param), help=param.description)
    audit.add_argument("--limit", type=argument(whole("limit", "at most this many", 1, MAX_LIMIT)), default=50, help="at most this many (default 50)")
    audit.add_argument("--offset", type=argument(whole("offset", "entries to skip", 0, 10**9)), default=0, help="skip this many (next pages)")
    audit.add_argument("--full", action="store_true", help="print content diffs in full (always with --subject)")
    audit.add_argument("--json", action="store_true", help="print the page as JSON, as GET /api/v1/audit answers it")
    audit.set_defaults(handler=show)
    config_option(audit)
