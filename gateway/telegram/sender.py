"""Outbox sender for `telegram:<bot>:<chat id>` addresses: notifications through the bot, paced.

A 429 is not waited out here: the sender raises a retryable ProviderError carrying `retry_after`,
the dispatcher reschedules the message that far ahead, and the bot's pacer holds every other send
meanwhile, in every worker. A 403 (the citizen blocked the bot) marks the chat unreachable and, when the chat's
user verified a phone number, queues the same text as an SMS to that number; the bot message itself
is recorded `failed` with a note saying where it went instead. A text split into several messages
is resumed by a retry after the parts already delivered (gateway.telegram.parts).
"""

from __future__ import annotations

import logging
from typing import NoReturn

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from channels.telegram import notification_messages, parse_address
from flows.errors import ChannelError, ProviderError
from flows.masking import masked
from gateway.outbox import Outbox, OutboxMessage, SendResult
from gateway.telegram.client import redacted, retry_seconds
from gateway.telegram.contacts import ContactStore
from gateway.telegram.parts import Parts
from gateway.telegram.registry import BotRegistry, BotRuntime

log = logging.getLogger(__name__)

NOT_BY_SMS = frozenset({"survey"})
"""Kinds a blocked chat does not get by SMS instead: their answer is a button press in the chat."""


class TelegramSender:
    """Delivers outbox messages to bot chats."""

    channel = "telegram"

    def __init__(self, registry: BotRegistry, contacts: ContactStore, outbox: Outbox) -> None:
        self.registry = registry
        self.contacts = contacts
        self.outbox = outbox
        self.parts = Parts(outbox.db)

    async def send(self, message: OutboxMessage) -> SendResult:
        """Send the message (split if long; a `url` in meta becomes a button under it)."""
        try:
            name, chat_id = parse_address(message.address)
        except ChannelError as error:
            raise ProviderError(str(error), retryable=False) from error
        bot = self.registry.get(name)
        if bot is None:
            raise ProviderError(f"no bot named {name!r} is configured (telegram.bots in settings.yaml)", retryable=False)
        if await self.contacts.is_unreachable(message.address):
            await self._fall_back(message, bot, chat_id)
        if not await bot.ready():
            raise ProviderError(f"bot {name}: Bot API unreachable", retryable=True)
        meta = message.meta
        parts = notification_messages(message.text, str(meta.get("lang", "fa")), meta.get("url"), meta.get("url_label"), meta.get("buttons") or ())
        try:
            last_id = await self.parts.deliver(bot.client, message.id, chat_id, parts)
        except RetryAfter as error:
            seconds = retry_seconds(error)
            raise ProviderError(f"bot {name}: flood control, retry after {seconds:.0f}s", retryable=True, retry_after=seconds) from error
        except Forbidden:
            await self.contacts.mark_unreachable(message.address, "bot blocked by the user")
            await self._fall_back(message, bot, chat_id)
        except BadRequest as error:  # chat not found, text refused: sending again will not help
            raise ProviderError(f"bot {name}: {redacted(str(error), bot.settings.token)}", retryable=False) from error
        except NetworkError as error:  # timeouts and connection errors (BadRequest is caught above)
            raise ProviderError(f"bot {name}: {redacted(str(error), bot.settings.token)}", retryable=True) from error
        except TelegramError as error:
            raise ProviderError(f"bot {name}: {type(error).__name__}", retryable=False) from error
        return SendResult(provider=f"telegram:{name}", provider_message_id=None if last_id is None else str(last_id))

    async def _fall_back(self, message: OutboxMessage, bot: BotRuntime, chat_id: int) -> NoReturn:
        """The chat blocked the bot: SMS the verified number if there is one; the bot message fails either way."""
        if message.kind in NOT_BY_SMS:
            raise ProviderError(f"bot blocked by the user; a {message.kind} is answered with the bot's buttons, so it is not sent by SMS",
                                retryable=False)
        phone = await self.contacts.phone_for_chat(bot.name, chat_id)
        if phone is None:
            raise ProviderError("bot blocked by the user, and no verified phone number to send an SMS to", retryable=False)
        url = message.meta.get("url")
        text = f"{message.text}\n{url}" if url else message.text
        sms_id = await self.outbox.enqueue(
            "sms", f"tel:{phone}", text, kind=message.kind, meta={**message.meta, "fallback_of": message.id},
            idempotency_key=f"telegram-fallback:{message.id}",
        )
        log.info("outbox %d: bot %s blocked by %s; sent by SMS to %s instead", message.id, bot.name, message.address, masked(f"tel:{phone}"))
        where = f"outbox #{sms_id}" if sms_id else "queued before"
        raise ProviderError(f"bot blocked by the user; sent by SMS instead ({where})", retryable=False)
