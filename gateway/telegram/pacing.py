"""Outbound pacing for one bot: about one message a second per chat and `per_second` overall.

Slots are reserved, not polled: each send takes the next free slot of its chat, then the next free
slot of the bot, and sleeps until then, so concurrent senders queue fairly without busy waiting.
A 429 holds the whole bot for `retry_after` seconds (Telegram's flood control is per bot).
In-process: with several gateway processes, give each its share of `per_second`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

PRUNE_EVERY = 1024


class Pacer:
    """Spaces sends to one chat by `per_chat_interval` and all sends by 1/`per_second`."""

    def __init__(
        self,
        per_chat_interval: float,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_chat_interval = per_chat_interval
        self.spacing = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}
        self._waits = 0

    async def wait(self, chat_id: int | None) -> None:
        """Return when a message to `chat_id` may go (None: not a chat message, only the bot-wide limit)."""
        now = self._clock()
        if chat_id is not None:
            slot = max(now, self._next_chat.get(chat_id, 0.0))
            self._next_chat[chat_id] = slot + self.per_chat_interval
            if slot > now:
                await self._sleep(slot - now)
                now = self._clock()
        slot = max(now, self._next_global)
        self._next_global = slot + self.spacing
        if slot > now:
            await self._sleep(slot - now)
        self._prune()

    def hold(self, seconds: float) -> None:
        """The Bot API said 429: nothing goes for `seconds`."""
        self._next_global = max(self._next_global, self._clock() + seconds)

    def _prune(self) -> None:
        self._waits += 1
        if self._waits % PRUNE_EVERY == 0:
            now = self._clock()
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
