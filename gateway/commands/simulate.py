"""`pishkhan simulate`: chat with the flows in a terminal, seeing exactly what a channel would show.

A simulated citizen's requests, payment links and receipts must never reach real people: the chat
runs on a throwaway store (unless `--store` names one) and on in-process state even when Redis is
configured, so nothing it queues is ever sent by a running `serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import tempfile
import uuid
from pathlib import Path

from channels.inbound import Inbound
from channels.ussd.base import dial_path
from flows.errors import PishkhanError
from flows.gsm7 import sms_encoding, ussd_budget_used
from gateway.app import open_gateway
from gateway.commands.common import config_option, report, settings_of
from gateway.settings import Settings
from gateway.views import channel_view

HELP = "Type what the citizen sends. On USSD, type the code to dial (e.g. *4# or *4*3*1#). Ctrl-D quits."


def isolated(settings: Settings, store: str) -> Settings:
    """The settings with this store and without Redis (its streams feed the running workers' senders)."""
    redis = {**(settings.raw.get("redis") or {}), "url": ""}
    return dataclasses.replace(settings, store_path=store, redis_url="", raw={**settings.raw, "redis": redis})


async def _chat(args: argparse.Namespace, store: str) -> int:
    settings = isolated(settings_of(args), store)
    gateway = await open_gateway(settings)
    view = channel_view(args.channel, settings)
    address = f"tel:{args.msisdn}" if args.channel != "telegram" else f"telegram:{args.msisdn}"
    print(HELP)
    session_id, dialling = uuid.uuid4().hex, args.channel == "ussd"
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "dial> " if dialling else "> ")
            except EOFError:
                return 0
            if dialling:
                session_id = uuid.uuid4().hex
                path = dial_path(line or settings.ussd.service_code, settings.ussd.service_code)
                inbound = Inbound(args.channel, address, "", "simulator", session_id=session_id, phone=args.msisdn, new_session=True, dial_path=path)
            else:
                inbound = Inbound(args.channel, address, line, "simulator", session_id=session_id, phone=args.msisdn)
            if args.channel == "sms" and gateway.sms is not None:  # keywords (HELP, STATUS, STOP) as on the wire
                answer = await gateway.sms.answer(inbound, gateway.sms.numbers.for_message(None))
                encoding = sms_encoding(answer.text)
                print(f"{answer.text}\n[{encoding.coding}, {encoding.segments} segment(s)]")
                continue
            reply = await gateway.conversations.turn(inbound, view.surface)
            shown = view.render(reply)
            print(shown)
            if args.channel == "ussd":
                used, limit = ussd_budget_used(shown, *settings.ussd.limits(None))
                print(f"[{used}/{limit} characters, page {reply.page + 1}/{reply.pages}]")
                dialling = reply.end
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
                                        "a later `serve` on this file sends its queued messages)")
    parser.set_defaults(handler=simulate)
