"""The `pishkhan` command: one sub-command module per concern, each exposing `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "gateway.commands.serve",
    "gateway.commands.flows",
    "gateway.commands.simulate",
    "gateway.commands.db",
    "gateway.commands.catalogue",
    "gateway.commands.tokens",
    "gateway.commands.payments",
    "gateway.commands.outbox",
    "gateway.commands.telegram",
    "gateway.commands.audit",
)


def parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    root = argparse.ArgumentParser(prog="pishkhan", description="Government services on USSD, SMS and bots.")
    root.add_argument("--config", default="config", help="configuration directory (default: config)")
    commands = root.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run a sub-command; its handler returns the exit code."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args.handler(args) or 0)
