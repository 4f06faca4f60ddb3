"""Helpers every sub-command shares: loading settings and reporting configuration errors."""

from __future__ import annotations

import argparse
import sys

from flows.errors import FlowErrors, PishkhanError
from gateway.settings import Settings, load_settings


def config_option(parser: argparse.ArgumentParser) -> None:
    """`--config DIR` on a sub-command, too (either position works)."""
    parser.add_argument("--config", default=argparse.SUPPRESS, help="configuration directory")


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
