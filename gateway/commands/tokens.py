"""`pishkhan tokens create|list|rotate|revoke`: operator API tokens (only their hash is stored); creating, rotating
and revoking are audited under the shell user (`cli:<user>`)."""

from __future__ import annotations

import argparse
import datetime
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from flows.dates import parse_date
from gateway.api.common import MAX_ID, whole
from gateway.audit import cli_actor
from gateway.calendar import build_calendar
from gateway.commands.common import argument, config_option, run_on_store, settings_of
from gateway.tokens import ROLES, TokenError, TokenStore

_UNITS = {"m": 60, "h": 3600, "d": 86400}
_SPAN = re.compile(r"([0-9]{1,5})([mhd])")
SPAN_FORM = "a span such as 90d, 12h or 30m"


def span(raw: str) -> float:
    """Seconds of a span (`90d`, `12h`, `30m`), for argparse."""
    found = _SPAN.fullmatch(raw)
    if found is None or int(found.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{raw!r} is not {SPAN_FORM}")
    return int(found.group(1)) * _UNITS[found.group(2)]


def expiry(raw: str) -> float | datetime.date:
    """When a token made now stops, for argparse: the Unix time a span from now (`90d`) ends, or a day (yyyy-mm-dd or
    Jalali yyyy/mm/dd) from whose start, in the gateway's calendar, it is refused (`_expires_at`)."""
    if _SPAN.fullmatch(raw):
        return time.time() + span(raw)
    try:
        return parse_date(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is neither {SPAN_FORM} nor a day (yyyy-mm-dd or yyyy/mm/dd)") from None


def _expires_at(args: argparse.Namespace) -> float | None:
    """`--expires-in` as a Unix time: a day starts at midnight in the calendar's time zone (`calendar.timezone`)."""
    given = args.expires_in
    if isinstance(given, datetime.date):
        return build_calendar(settings_of(args).calendar).start_of(given)
    return given


def _run(args: argparse.Namespace, work: Callable[[TokenStore], Awaitable[int]]) -> int:
    return run_on_store(args, lambda db: work(TokenStore(db)))


def create(args: argparse.Namespace) -> int:
    """Print a new token once; it cannot be shown again."""
    async def work(tokens: TokenStore) -> int:
        token = await tokens.create(args.role, args.name or args.role, actor=cli_actor(), agencies=args.agency, expires_at=_expires_at(args))
        print(token)
        return 0
    return _run(args, work)


def _date(value: Any, never: str = "-") -> str:
    return datetime.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M") if value else never


def _expires(row: dict[str, Any], now: float) -> str:
    if row["expires_at"] is None:
        return "expires never"
    word = "expired" if row["expires_at"] <= now else "expires"
    rotated = f" (rotated: token {row['replaced_by']})" if row["replaced_by"] else ""
    return f"{word} {_date(row['expires_at'])}{rotated}"


def list_tokens(args: argparse.Namespace) -> int:
    """One line per token: id, role, name, created, last used (to the minute; find stale tokens to revoke), revoked,
    agencies (all: the national operator), expiry (expired ones say so). New columns go last, for scripts reading them."""
    async def work(tokens: TokenStore) -> int:
        now = time.time()
        for row in await tokens.list():
            print(f"{row['id']}\t{row['role']}\t{row['name']}\tcreated {_date(row['created_at'])}"
                  f"\tlast used {_date(row['last_used_at'], 'never')}\trevoked {_date(row['revoked_at'])}"
                  f"\tagencies {row['agencies'] or 'all'}\t{_expires(row, now)}")
        return 0
    return _run(args, work)


def rotate(args: argparse.Namespace) -> int:
    """Print a new token with the old one's name, role, agencies and expiry; the old one works for the grace period."""
    grace = args.grace if args.grace is not None else settings_of(args).api.token_rotation_grace

    async def work(tokens: TokenStore) -> int:
        try:
            new_id, token = await tokens.rotate(args.id, grace=grace, actor=cli_actor())
        except TokenError as error:
            print(f"error: {error}")
            return 1
        print(f"token {new_id} replaces token {args.id}, which works until {_date(time.time() + grace)} at the latest:")
        print(token)
        return 0
    return _run(args, work)


def revoke(args: argparse.Namespace) -> int:
    """Stop a token working at once."""
    async def work(tokens: TokenStore) -> int:
        if await tokens.revoke(args.id, actor=cli_actor()):
            print(f"revoked token {args.id}")
            return 0
        print(f"error: no active token has id {args.id} (see `pishkhan tokens list`)")
        return 1
    return _run(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `tokens create`, `tokens list`, `tokens rotate` and `tokens revoke`."""
    tokens = commands.add_parser("tokens", help="operator API tokens").add_subparsers(dest="tokens_command", required=True)
    token_id = argument(whole("id", "token id", 1, MAX_ID, where="path"))
    make = tokens.add_parser("create", help="make a token and print it once")
    make.add_argument("--role", required=True, choices=ROLES, help="viewer reads, operator moves requests, admin edits services")
    make.add_argument("--name", help="who or what uses it (shown in request events)")
    make.add_argument("--agency", action="append", metavar="ID",
                      help="limit it to this agency's services and requests (repeat for several); none: every agency")
    make.add_argument("--expires-in", type=expiry, metavar="SPAN|DAY", help=f"when it stops working: {SPAN_FORM}, or a day")
    make.set_defaults(handler=create)
    show = tokens.add_parser("list", help="list tokens with scope, expiry and when each was last used (never the tokens themselves)")
    show.set_defaults(handler=list_tokens)
    turn = tokens.add_parser("rotate", help="a new secret for a token; the old one keeps working for a grace period")
    turn.add_argument("id", type=token_id, help="the id `pishkhan tokens list` shows")
    turn.add_argument("--grace", type=span, metavar="SPAN", help=f"how long the old secret works ({SPAN_FORM}); default api.token_rotation_grace")
    turn.set_defaults(handler=rotate)
    drop = tokens.add_parser("revoke", help="revoke a token by id")
    drop.add_argument("id", type=token_id, help="the id `pishkhan tokens list` shows")
    drop.set_defaults(handler=revoke)
    for parser in (make, show, turn, drop):
        config_option(parser)
