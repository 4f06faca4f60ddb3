"""`pishkhan users create|list|passwd|change`: console accounts, from the shell (audited as `cli:<user>`).

Passwords are never arguments (they would sit in the shell's history and in `ps`): they are asked
for at a terminal, twice, or read as one line from standard input (`echo … | pishkhan users create`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable

from gateway.audit import cli_actor
from gateway.calendar import build_calendar
from gateway.commands.common import config_option, run_on_store, settings_of
from gateway.console.i18n import when
from gateway.console.users import LANGUAGES, UNCHANGED, User, UserError, UserStore
from gateway.tokens import ROLES


def _password() -> str:
    """A new password from the terminal (asked twice) or from one line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the two passwords differ")
    return first


def _run(args: argparse.Namespace, work: Callable[[UserStore], Awaitable[int]]) -> int:
    settings = settings_of(args)

    async def guarded(users: UserStore) -> int:
        try:
            return await work(users)
        except UserError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return run_on_store(args, lambda db: guarded(UserStore(db, settings.console)))


def create(args: argparse.Namespace) -> int:
    """Make an account."""
    async def work(users: UserStore) -> int:
        user = await users.create(args.name, args.role, _password(), actor=cli_actor(), language=args.language, agencies=args.agency)
        print(f"created {user.name} ({', '.join(filter(None, (user.role, _agencies(user))))}); sign in at /console")
        return 0
    return _run(args, work)


def _agencies(user: User) -> str:
    """`agencies sabt,police` for a scoped account; nothing for a national one (the lines read as they did before scopes)."""
    return f"agencies {','.join(sorted(user.agencies))}" if user.agencies is not None else ""


def list_users(args: argparse.Namespace) -> int:
    """One line per account: name, role, language, created, agencies (none shown: every agency), locked until, disabled."""
    tz = build_calendar(settings_of(args).calendar).tz

    async def work(users: UserStore) -> int:
        for user in await users.list():
            locked = f"\tlocked until {when(user.locked_until, 'en', tz)}" if user.locked_until else ""
            disabled = "\tdisabled" if user.disabled_at else ""
            scope = f"\t{_agencies(user)}" if user.agencies is not None else ""
            print(f"{user.name}\t{user.role}\t{user.language}\tcreated {when(user.created_at, 'en', tz)}{scope}{locked}{disabled}")
        return 0
    return _run(args, work)


def passwd(args: argparse.Namespace) -> int:
    """Set an account's password (and lift its lockout): for a user who forgot theirs."""
    async def work(users: UserStore) -> int:
        await users.reset_password(args.name, _password(), actor=cli_actor())
        print(f"password of {args.name} changed; their sessions have ended")
        return 0
    return _run(args, work)


def change(args: argparse.Namespace) -> int:
    """Change an account's role or language, disable or enable it, or unlock it."""
    async def work(users: UserStore) -> int:
        disabled = True if args.disable else False if args.enable else None
        scope = None if args.all_agencies else args.agency if args.agency else UNCHANGED
        user = await users.change(args.name, actor=cli_actor(), role=args.role, language=args.language, disabled=disabled,
                                  unlock=args.unlock, agencies=scope)
        print(f"{user.name}: {', '.join(filter(None, (user.role, user.language, _agencies(user))))}" + (", disabled" if user.disabled_at else ""))
        return 0
    return _run(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `users create`, `users list`, `users passwd` and `users change`."""
    users = commands.add_parser("users", help="operator console accounts").add_subparsers(dest="users_command", required=True)
    make = users.add_parser("create", help="make an account (password from a prompt or one line of stdin)")
    make.add_argument("name", help="2-32 lower-case letters, digits, '.', '_' or '-'")
    make.add_argument("--role", required=True, choices=ROLES, help="viewer reads, operator handles requests, admin changes content and users")
    make.add_argument("--language", default="fa", choices=LANGUAGES, help="the console's language for this user (default fa)")
    make.add_argument("--agency", action="append", metavar="ID",
                      help="limit the account to this agency's services and requests (repeat for several); none: every agency")
    make.set_defaults(handler=create)
    show = users.add_parser("list", help="list accounts")
    show.set_defaults(handler=list_users)
    reset = users.add_parser("passwd", help="set an account's password (from a prompt or stdin) and unlock it")
    reset.add_argument("name")
    reset.set_defaults(handler=passwd)
    alter = users.add_parser("change", help="change an account's role or language, disable, enable or unlock it")
    alter.add_argument("name")
    alter.add_argument("--role", choices=ROLES)
    alter.add_argument("--language", choices=LANGUAGES)
    state = alter.add_mutually_exclusive_group()
    state.add_argument("--disable", action="store_true", help="stop the account signing in (its sessions end)")
    state.add_argument("--enable", action="store_true")
    alter.add_argument("--unlock", action="store_true", help="lift a lockout after wrong passwords")
    scope = alter.add_mutually_exclusive_group()
    scope.add_argument("--agency", action="append", metavar="ID", help="limit the account to these agencies (repeat for several)")
    scope.add_argument("--all-agencies", action="store_true", help="let the account see every agency (the national operator)")
    alter.set_defaults(handler=change)
    for parser in (make, show, reset, alter):
        config_option(parser)
