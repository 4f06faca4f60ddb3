"""`pishkhan outbox list|retry`: find outbound messages and send dead or failed ones again, from a shell.

The same queries as `/api/v1/outbox` (gateway.outbox.admin), straight on the store: safe while the
gateway runs, whose dispatcher finds a retried message on its next poll (with Redis, its stream
reconciliation publishes it within seconds). Addresses are masked and texts never printed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable

from flows.errors import PishkhanError
from gateway.api.common import whole
from gateway.api.outbox import CHANNEL, KIND, MESSAGE_ID
from gateway.audit import cli_actor
from gateway.commands.common import argument, config_option, report, run_on_store
from gateway.outbox import Outbox
from gateway.outbox.admin import STATES, OutboxAdmin, OutboxFilter, Retried

MAX_LIMIT = 10000


def _run(args: argparse.Namespace, work: Callable[[OutboxAdmin], Awaitable[int]]) -> int:
    return run_on_store(args, lambda db: work(OutboxAdmin(Outbox(db))))


def list_messages(args: argparse.Namespace) -> int:
    """One tab-separated line per message, newest first (or a JSON array): id, state, channel, kind,
    masked address, attempts, last update, last error."""
    async def work(admin: OutboxAdmin) -> int:
        rows = await admin.search(OutboxFilter(state=args.state, channel=args.channel, kind=args.kind, limit=args.limit))
        if args.json:
            print(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
            return 0
        for row in rows:
            shown = row.as_json()
            print("\t".join(str(shown[k] if shown[k] is not None else "-")
                            for k in ("id", "state", "channel", "kind", "address", "attempts", "updated_at", "last_error")))
        print(f"{len(rows)} messages")
        return 0
    return _run(args, work)


def _retried_line(done: Retried) -> str:
    return f"retried {done.id} (was {done.previous_state}: {done.last_error or 'no error recorded'})"


def retry(args: argparse.Namespace) -> int:
    """Put the given messages (or every dead one) back to pending; exit 1 if any could not be."""
    actor = cli_actor()

    async def work(admin: OutboxAdmin) -> int:
        if args.all_dead:
            done = await admin.retry_dead(actor)
            for item in done:
                print(_retried_line(item))
            print(f"{len(done)} dead messages retried")
            return 0
        failures = 0
        for message_id in args.ids:
            try:
                print(_retried_line(await admin.retry(message_id, actor)))
            except PishkhanError as error:
                report(error)
                failures += 1
        return 1 if failures else 0
    return _run(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `outbox list` and `outbox retry`."""
    outbox = commands.add_parser("outbox", help="outbound messages").add_subparsers(dest="outbox_command", required=True)
    show = outbox.add_parser("list", help="list messages, newest first (addresses masked, never the text)")
    show.add_argument("--state", choices=STATES, help="only this state (dead: the dispatcher gave up)")
    show.add_argument("--channel", type=argument(CHANNEL), help="only this channel (sms, telegram)")
    show.add_argument("--kind", type=argument(KIND), help="only this kind (reply, receipt, notification, payment_link)")
    show.add_argument("--limit", type=argument(whole("limit", "at most this many", 1, MAX_LIMIT)), default=50, help="at most this many (default 50)")
    show.add_argument("--json", action="store_true", help="print JSON instead of tab-separated lines")
    show.set_defaults(handler=list_messages)
    again = outbox.add_parser("retry", help="send dead or failed messages again (never a sent or opted-out one)")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", nargs="*", type=argument(MESSAGE_ID), default=[], metavar="ID", help="message ids (see `pishkhan outbox list`)")
    which.add_argument("--all-dead", action="store_true", help="every dead message")
    again.set_defaults(handler=retry)
    for parser in (show, again):
        config_option(parser)
