"""`pishkhan simulate`: chat with the flows in a terminal, seeing exactly what a channel would show."""

from __future__ import annotations

import argparse
import asyncio

from flows.errors import PishkhanError
from flows.gsm7 import sms_encoding, ussd_budget_used
from gateway.assembly import open_gateway
from gateway.commands.common import config_option, report, settings_of
from gateway.simulated import SimulatedCitizen

HELP = "Type what the citizen sends. On USSD, type the code to dial (e.g. *4# or *4*3*1#). Ctrl-D quits."


async def _chat(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    gateway = await open_gateway(settings)
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
    """Run the terminal chat."""
    try:
        return asyncio.run(_chat(args))
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
    parser.set_defaults(handler=simulate)
