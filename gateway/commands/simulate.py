"""`pishkhan simulate`: chat with the flows in a terminal, seeing exactly what a channel would show."""

from __future__ import annotations

import argparse
import asyncio
import uuid

from channels.inbound import Inbound
from channels.ussd.base import dial_path
from flows.errors import PishkhanError
from flows.gsm7 import sms_encoding, ussd_budget_used
from gateway.assembly import open_gateway
from gateway.commands.common import config_option, report, settings_of
from gateway.views import channel_view

HELP = "Type what the citizen sends. On USSD, type the code to dial (e.g. *4# or *4*3*1#). Ctrl-D quits."


async def _chat(args: argparse.Namespace) -> int:
    settings = settings_of(args)
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
            reply = await (gateway.ussd.hop if args.channel == "ussd" else gateway.conversations.turn)(inbound, view.surface)
            shown = view.render(reply)
            print(shown)
            if args.channel == "ussd":
                used, limit = ussd_budget_used(shown, *settings.ussd.limits(None))
                print(f"[{used}/{limit} characters, page {reply.page + 1}/{reply.pages}]")
                dialling = reply.end
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
