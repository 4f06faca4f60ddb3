"""Outbound pacing for one bot: about one message a second per chat and `per_second` overall.

Slots are reserved, not polled: each send takes the next free slot of its chat, then the next free
slot of the bot, and sleeps until then, so concurrent senders queue fairly without busy waiting.
A 429 holds the whole bot for `retry_after` seconds (Telegram's flood control is per bot). The
slots live in the state store (gateway.state.throttle): with Redis every worker draws on the same
schedule, so the limits hold for the bot whatever the number of processes.
"""

from __future__ import annotations

from gateway.state import Pace
from gateway.state.throttle import Throttle


class Pacer:
    """Spaces sends to one chat by `per_chat_interval` and all sends of bot `bot` by 1/`per_second`."""

    def __init__(self, throttle: Throttle, bot: str, per_chat_interval: float, per_second: float) -> None:
        self.throttle = throttle
        self.per_chat_interval = per_chat_interval
        self.bot = Pace(f"pace:telegram:{bot}", 1.0 / per_second)

    async def wait(self, chat_id: int | None) -> None:
        """Return when a message to `chat_id` may go (None: not a chat message, only the bot-wide limit)."""
        if chat_id is None or not self.per_chat_interval:
            await self.throttle.wait(self.bot)
        else:
            await self.throttle.wait(Pace(f"{self.bot.key}:chat:{chat_id}", self.per_chat_interval), self.bot)

    async def hold(self, seconds: float) -> None:
        """The Bot API said 429: nothing goes through this bot for `seconds`, from any worker."""
        await self.throttle.hold(self.bot.key, seconds)
