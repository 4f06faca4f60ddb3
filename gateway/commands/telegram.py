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

PARTIAL = 3
"""Exit code when every webhook was set but some bot's command menu was not (1 is a webhook not set)."""


def _why(error: Exception, token: str) -> str:
    """What went wrong, for the operator (without the token, which Bot API errors may carry)."""
    if isinstance(error, TelegramError):
        return f"the Bot API refused: {redacted(str(error), token)}"
    return f"the Bot API answered outside its contract ({type(error).__name__}: {redacted(str(error)[:200], token)})"


async def _register(bot: BotSettings, url: str, languages: list[str]) -> str | None:
    """Set the webhook (an exception: it is not set), then the command menu; why the menu failed, if it did.
    The webhook is what makes the bot work: a menu the Bot API refused does not undo it."""
    async with Bot(bot.token, base_url=bot.base_url) as api:
        await api.set_webhook(url, secret_token=bot.secret, allowed_updates=list(ALLOWED_UPDATES))
        try:
            for i, lang in enumerate(languages):  # the first language is also the default for every other
                commands = [BotCommand(name, pick(text, lang)) for name, text in COMMANDS.items()]
                await api.set_my_commands(commands, language_code=None if i == 0 else lang)
        except Exception as error:
            return _why(error, bot.token)
    return None


def set_webhook(args: argparse.Namespace) -> int:
    """Register the webhook and command menu of one bot or of every configured bot; exit 0 when all is
    done, 1 when a webhook is not set, PARTIAL when the webhooks are set but a command menu is not."""
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
    failed = partial = 0
    for bot in bots:
        url = f"{base}/telegram/{bot.name}"
        if not bot.secret:
            print(f"error: bot {bot.name}: set telegram.bots.{bot.name}.secret first (Telegram sends it back with every update)", file=sys.stderr)
            failed += 1
            continue
        try:
            menu_error = asyncio.run(_register(bot, url, list(settings.flows.languages)))
        except Exception as error:  # one bot's Bot API, however it fails, does not keep the others unregistered
            print(f"error: bot {bot.name}: webhook not set: {_why(error, bot.token)}", file=sys.stderr)
            failed += 1
            continue
        print(f"bot {bot.name}: webhook set to {url}")
        if menu_error is not None:
            print(f"warning: bot {bot.name}: its command menu (/start, /myrequests, /verify) is not registered: {menu_error};"
                  " the bot works without it, run set-webhook again to retry", file=sys.stderr)
            partial += 1
    return 1 if failed else PARTIAL if partial else 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `telegram set-webhook`."""
    parser = commands.add_parser("telegram", help="Telegram and Bale bots")
    sub = parser.add_subparsers(dest="telegram_command", required=True)
    hook = sub.add_parser("set-webhook", help="register each bot's webhook (server.public_base_url + /telegram/<bot>) with its"
                                " secret, and its command menu (exit 1: a webhook not set; 3: webhooks set, a command menu not)")
    config_option(hook)
    hook.add_argument("--bot", help="only this bot (default: every configured bot)")
    hook.add_argument("--url", help="public base URL to use instead of server.public_base_url (must be https for Telegram)")
    hook.set_defaults(handler=set_webhook)
