"""`pishkhan tokens create|list|revoke`: operator API tokens (only their hash is stored); creating and revoking
are audited under the shell user (`cli:<user>`)."""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.api.common import MAX_ID, whole
from gateway.audit import cli_actor
from gateway.commands.common import argument, config_option, run_on_store
from gateway.tokens import ROLES, TokenStore


def _run(args: argparse.Namespace, work: Callable[[TokenStore], Awaitable[int]]) -> int:
    return run_on_store(args, lambda db: work(TokenStore(db)))


def create(args: argparse.Namespace) -> int:
    """Print a new token once; it cannot be shown again."""
    async def work(tokens: TokenStore) -> int:
        token = await tokens.create(args.role, args.name or args.role, actor=cli_actor())
        print(token)
        return 0
    return _run(args, work)


def _date(value: Any, never: str = "-") -> str:
    return datetime.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M") if value else never


def list_tokens(args: argparse.Namespace) -> int:
    """One line per token: id, role, name, created, last used (to the minute; find stale tokens to revoke), revoked."""
    async def work(tokens: TokenStore) -> int:
        for row in await tokens.list():
            print(f"{row['id']}\t{row['role']}\t{row['name']}\tcreated {_date(row['created_at'])}"
                  f"\tlast used {_date(row['last_used_at'], 'never')}\trevoked {_date(row['revoked_at'])}")
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
    """Add `tokens create`, `tokens list` and `tokens revoke`."""
    tokens = commands.add_parser("tokens", help="operator API tokens").add_subparsers(dest="tokens_command", required=True)
    make = tokens.add_parser("create", help="make a token and print it once")
    make.add_argument("--role", required=True, choices=ROLES, help="viewer reads, operator moves requests, admin edits services")
    make.add_argument("--name", help="who or what uses it (shown in request events)")
    make.set_defaults(handler=create)
    show = tokens.add_parser("list", help="list tokens with when each was last used (never the tokens themselves)")
    show.set_defaults(handler=list_tokens)
    drop = tokens.add_parser("revoke", help="revoke a token by id")
    drop.add_argument("id", type=argument(whole("id", "token id", 1, MAX_ID, where="path")), help="the id `pishkhan tokens list` shows")
    drop.set_defaults(handler=revoke)
    for parser in (make, show, drop):
        config_option(parser)
