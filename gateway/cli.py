"""The `pishkhan` command: one sub-command module per concern, each exposing `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

COMMANDS = ("serve", "flows", "simulate", "db", "catalogue", "tokens", "payments", "outbox", "telegram", "audit", "users", "report", "events",
            "privacy")
"""Each is `gateway.commands.<name>`, adding the sub-command of that name."""


def chosen_command(argv: Sequence[str]) -> str | None:
    """The sub-command `argv` names, if it names one (skipping `--config DIR`), so only its module is
    imported: `flows publish` or `audit` need not load the whole server (a second of CPU, which on
    a busy host is taken from the hops being answered)."""
    args = iter(argv)
    for arg in args:
        if arg == "--config":
            next(args, None)
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every command's, or `only` that one's."""
    root = argparse.ArgumentParser(prog="pishkhan", description="Government services on USSD, SMS and bots.")
    root.add_argument("--config", default="config", help="configuration directory (default: config)")
    commands = root.add_subparsers(dest="command", required=True)
    for name in (only,) if only else COMMANDS:
        importlib.import_module(f"gateway.commands.{name}").register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run a sub-command; its handler returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser(chosen_command(argv)).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args.handler(args) or 0)
