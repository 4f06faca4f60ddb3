"""`pishkhan simulate`: chat with the flows in a terminal, seeing exactly what a channel would show.

A simulated citizen's requests, payment links and receipts must never reach real people: the chat
runs on a throwaway store (unless `--store` names one) and on in-process state even when Redis is
configured, so nothing it queues is ever sent by a running `serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from pathlib import Path

from flows.errors import PishkhanError
from flows.gsm7 import sms_encoding, ussd_budget_used
from gateway.assembly import open_gateway
from gateway.commands.common import config_option, report, settings_of
from gateway.commands.flows import draft_content
from gateway.content.model import Content
from gateway.content.store import ContentStore, UnknownVersion
from gateway.simulated import SimulatedCitizen
from gateway.store import Database

HELP = "Type what the citizen sends. On USSD, type the code to dial (e.g. *4# or *4*3*1#). Ctrl-D quits."


async def _content(args: argparse.Namespace) -> Content:
    """What to try: a published version (`--version`), a draft folder (`--draft`), else config/."""
    settings = settings_of(args)
    if args.version is None:
        return draft_content(settings, args.draft)
    db = await Database.of(settings).open()
    try:
        number = await ContentStore(db).live_number() if args.version == "live" else int(args.version)
        if number is None:
            raise UnknownVersion("nothing is published yet")
        return (await ContentStore(db).get(number))[1]
    finally:
        await db.close()


async def _chat(args: argparse.Namespace, store: str) -> int:
    content = await _content(args)
    settings = settings_of(args).with_scratch_store(Path(store))
    gateway = await open_gateway(settings, seed=content)
    citizen = SimulatedCitizen(gateway, args.channel, args.msisdn, {"chat": args.msisdn})
    print(HELP)
    dialling = args.channel == "ussd"
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "dial> " if dialling else "> ")
            except EOFError:
                return 0
            seen = await (citizen.dial(line or settings.ussd.service_code) if dialling else citizen.send(line))
            print(seen.text)
            if args.channel == "sms":
                encoding = sms_encoding(seen.text)
                print(f"[{encoding.coding}, {encoding.segments} segment(s)]")
            elif args.channel == "ussd":
                used, limit = ussd_budget_used(seen.text, *settings.ussd.limits(None))
                print(f"[{used}/{limit} characters, page {seen.page + 1}/{seen.pages}]")
                dialling = seen.end
    finally:
        await gateway.close()


def simulate(args: argparse.Namespace) -> int:
    """Run the terminal chat; only warnings are logged (to stderr), so the pages read undisturbed."""
    logging.getLogger().setLevel(logging.WARNING)
    try:
        if args.store:
            return asyncio.run(_chat(args, str(Path(args.store).resolve())))
        with tempfile.TemporaryDirectory(prefix="pishkhan-simulate-") as scratch:
            return asyncio.run(_chat(args, str(Path(scratch) / "simulate.sqlite3")))
    except PishkhanError as error:
        return report(error)
    except KeyboardInterrupt:
        return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `simulate`."""
    parser = commands.add_parser("simulate", help="chat with the flows in the terminal")
    config_option(parser)
    parser.add_argument("--channel", choices=("ussd", "sms", "telegram"), default="ussd")
    parser.add_argument("--msisdn", default="+989120000000", help="the citizen's number (E.164)")
    parser.add_argument("--store", help="SQLite file to keep what the chat submits (default: a throwaway store; "
                                        "a later `serve` on this file sends its queued messages, and its live version is what is tried)")
    tried = parser.add_mutually_exclusive_group()
    tried.add_argument("--version", type=_version, help="a published version (a number, or `live`) instead of config/")
    tried.add_argument("--draft", metavar="DIR", help="a draft folder (flows/, catalogue.yaml) instead of config/")
    parser.set_defaults(handler=simulate)


def _version(raw: str) -> str:
    if raw != "live" and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
        raise argparse.ArgumentTypeError(f"{raw!r} is not a version: give a number or `live`")
    return raw
