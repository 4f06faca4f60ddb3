"""`pishkhan serve`: run the gateway's HTTP server."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging

from aiohttp import web

from flows.errors import PishkhanError
from gateway.app import create_app
from gateway.commands.common import config_option, report, settings_of


def use_uvloop() -> None:
    """uvloop when installed: the same code, a faster event loop."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def serve(args: argparse.Namespace) -> int:
    """Load settings, open the gateway and serve until interrupted."""
    try:
        settings = settings_of(args)
        server = dataclasses.replace(
            settings.server,
            host=args.host or settings.server.host,
            port=args.port or settings.server.port,
        )
        settings = dataclasses.replace(settings, server=server)
        logging.getLogger().setLevel(settings.server.log_level)
        use_uvloop()
        web.run_app(create_app(settings), host=server.host, port=server.port, access_log=None, print=lambda m: logging.info(m.strip()))
    except PishkhanError as error:
        return report(error)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `serve`."""
    parser = commands.add_parser("serve", help="run the gateway")
    config_option(parser)
    parser.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.set_defaults(handler=serve)
