"""Helpers every sub-command shares: loading settings, reporting configuration errors, running on the store."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from flows.errors import FlowErrors, PishkhanError
from gateway.api.common import ApiError, Param
from gateway.settings import Settings, load_settings
from gateway.store import Database


def config_option(parser: argparse.ArgumentParser) -> None:
    """`--config DIR` on a sub-command, too (either position works)."""
    parser.add_argument("--config", default=argparse.SUPPRESS, help="configuration directory")


def argument(param: Param) -> Callable[[str], Any]:
    """An argparse `type` reading a value by the operator API's rules for the same parameter (ASCII digits only:
    int() would take "٣" or "1_000"), so a shell and the API accept the same things."""
    def read(raw: str) -> Any:
        try:
            return param.parse(raw)
        except ApiError as error:
            raise argparse.ArgumentTypeError(error.message) from None

    read.__name__ = param.name  # argparse names the type in its errors
    return read


def settings_of(args: argparse.Namespace) -> Settings:
    """Settings from the chosen config directory."""
    return load_settings(args.config)


def report(error: PishkhanError) -> int:
    """Print a configuration error for a person and give the exit code 1."""
    problems = error.errors if isinstance(error, FlowErrors) else [error]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if len(problems) > 1:
        print(f"{len(problems)} errors", file=sys.stderr)
    return 1


def run_on_store(args: argparse.Namespace, work: Callable[[Database], Awaitable[int]]) -> int:
    """Run `work` on the configured store (migrated, closed after); its exit code, or 1 with the error printed."""
    async def go() -> int:
        settings = settings_of(args)
        db = await Database.of(settings).open()
        try:
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(go())
    except PishkhanError as error:
        return report(error)
