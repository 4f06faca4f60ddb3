"""Waiting for send slots in the state store, so all workers together keep a provider's rate.

With Redis the slots are shared by every worker (a provider or the Bot API limits the account, not
the process); without it the in-process store gives the same pacing to the one process.

Redis unavailable while pacing: the send is paced on this process's own schedule instead of
failing. A retryable ProviderError would be the stricter choice, but with Redis configured the
outbox is dispatched through a Redis Stream that takes nothing while Redis is down, so the only
sends that meet an outage here are the few already in flight and live bot replies, among them the
"busy now" apology a citizen is owed. Failing those would burn an outbox attempt or drop the reply,
to protect a rate that those few messages can exceed at most N-fold (N workers), briefly; and a
provider answers an excess with 429/5xx, which the outbox retries anyway. Every call tries the
shared store first (ResilientState fails at once while it is known to be down), so pacing is
global again as soon as Redis answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gateway.state.base import Pace, Reservation, StateStore
from gateway.state.memory import MemoryState
from gateway.state.resilient import StateUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


class Throttle:
    """Sleeps until a send may pass its paces; holds a pace for everyone after a provider's 429."""

    def __init__(self, state: StateStore, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.state = state
        self.local = MemoryState()
        """This process's own schedule, used only while `state` is unavailable."""
        self._sleep = sleep
        self._local_only = False

    async def wait(self, *paces: Pace) -> float:
        """Return when a send may go through every pace, in order; the seconds waited."""
        waited = 0.0
        while paces:
            reservation = await self._reserve(paces)
            paces = paces[reservation.taken:]
            if reservation.wait > 0:
                await self._sleep(reservation.wait)
                waited += reservation.wait
        return waited

    async def _reserve(self, paces: tuple[Pace, ...]) -> Reservation:
        # out of wait()'s loop so the lambda closes over this call's paces, not a loop variable
        return await self._use(lambda store: store.reserve(*paces))

    async def hold(self, key: str, seconds: float) -> None:
        """No slot of `key` for `seconds`, in every worker."""
        await self._use(lambda store: store.hold(key, seconds))

    async def _use(self, call: Callable[[StateStore], Awaitable[T]]) -> T:
        try:
            result = await call(self.state)
        except StateUnavailable as error:
            if not self._local_only:
                log.warning("pacing on this process only until the shared store is back (%s)", error)
                self._local_only = True
            return await call(self.local)
        if self._local_only:
            log.warning("pacing is shared by every worker again")
            self._local_only = False
        return result

