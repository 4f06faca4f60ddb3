"""`pishkhan telegram set-webhook`: point each bot's Bot API at our webhook, with its secret token."""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from flows.errors import PishkhanError
from flows.texts import pick
from gateway.commands.common import config_option, report, settings_of
from gateway.telegram.client import redacted
from gateway.telegram.registry import ALLOWED_UPDATES
from gateway.telegram.settings import BotSettings
from gateway.telegram.texts import COMMANDS


async def _register(bot: BotSettings, url: str, languages: list[str]) -> None:
    async with Bot(bot.token, base_url=bot.base_url) as api:
        await api.set_webhook(url, secret_token=bot.secret, allowed_updates=list(ALLOWED_UPDATES))
        for i, lang in enumerate(languages):  # the first language is also the default for every other
            commands = [BotCommand(name, pick(text, lang)) for name, text in COMMANDS.items()]
            await api.set_my_commands(commands, language_code=None if i == 0 else lang)


def set_webhook(args: argparse.Namespace) -> int:
    """Register the webhook of one bot or of every configured bot."""
    try:
        settings = settings_of(args)
        bots = settings.telegram.configured()
    except PishkhanError as error:
        return report(error)
    if args.bot:
        bots = [b for b in bots if b.name == args.bot]
    if not bots:
        which = f"bot {args.bot!r} is" if args.bot else "bots are"
        print(f"error: no {which} configured with a token (telegram.bots in settings.yaml)", file=sys.stderr)
        return 1
    base = (args.url or settings.server.public_base_url).rstrip("/")
    failed = 0
    for bot in bots:
        url = f"{base}/telegram/{bot.name}"
        if not bot.secret:
            print(f"error: bot {bot.name}: set telegram.bots.{bot.name}.secret first (Telegram sends it back with every update)", file=sys.stderr)
            failed += 1
            continue
        try:
            asyncio.run(_register(bot, url, list(settings.flows.languages)))
        except TelegramError as error:
            print(f"error: bot {bot.name}: the Bot API refused: {redacted(str(error), bot.token)}", file=sys.stderr)
            failed += 1
            continue
        print(f"bot {bot.name}: webhook set to {url}")
    return 1 if failed else 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `telegram set-webhook`."""
    parser = commands.add_parser("telegram", help="Telegram and Bale bots")
    sub = parser.add_subparsers(dest="telegram_command", required=True)
    hook = sub.add_parser("set-webhook", help="register each bot's webhook (server.public_base_url + /telegram/<bot>) with its secret")
    config_option(hook)
    hook.add_argument("--bot", help="only this bot (default: every configured bot)")
    hook.add_argument("--url", help="public base URL to use instead of server.public_base_url (must be https for Telegram)")
    hook.set_defaults(handler=set_webhook)
