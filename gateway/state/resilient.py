"""A remote state store that fails fast instead of hanging, and comes back by itself.

When Redis is down a USSD hop must still answer within its budget. Each call is bounded by a
short timeout, the inner store's own (RedisState bounds each exchange with Redis: a timer per call
here would cost a hop more than its round trip does); after a failure, calls fail at once for `retry_after` seconds (so a burst of hops
does not queue up behind a dead connection), then the next call, or the /readyz ping, tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flows.errors import PishkhanError
from gateway.state.base import Op, Pace, Reservation, StateStore

log = logging.getLogger(__name__)

T = TypeVar("T")

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError, TimeoutError)
"""What an unreachable, restarting or failing-over Redis raises; anything else is a bug and propagates."""


class StateUnavailable(PishkhanError):
    """The shared state store does not answer; the caller degrades (a polite END on USSD)."""


class ResilientState:
    """Wraps a StateStore whose calls are bounded: fail-fast while down, automatic recovery."""

    def __init__(
        self,
        inner: StateStore,
        *,
        retry_after: float,
        name: str = "redis",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.retry_after = retry_after
        self.name = name
        self._clock = clock
        self._down_until = 0.0
        self._down = False

    @property
    def down(self) -> bool:
        """Whether the last call failed (and no call has succeeded since)."""
        return self._down

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        if self._down and self._clock() < self._down_until:
            raise StateUnavailable(f"{self.name} is unavailable; retrying in under {self.retry_after:g} s")
        try:
            result = await call()
        except OUTAGE_ERRORS as exc:
            self._down_until = self._clock() + self.retry_after
            if not self._down:
                log.error("%s unavailable (%s): answering politely until it is back", self.name, exc.__class__.__name__)
            self._down = True
            raise StateUnavailable(f"{self.name} is unavailable: {exc.__class__.__name__}") from exc
        if self._down:
            log.warning("%s is back", self.name)
            self._down = False
        return result

    async def get(self, key: str) -> dict[str, Any] | None:
        return await self._call(lambda: self.inner.get(key))

    async def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        await self._call(lambda: self.inner.set(key, value, ttl))

    async def values(self, prefix: str) -> AsyncIterator[dict[str, Any]]:
        """Not bounded by the hop timeout: a scan is long by nature and never on a citizen's path."""
        async for value in self.inner.values(prefix):
            yield value

    async def delete(self, key: str) -> None:
        await self._call(lambda: self.inner.delete(key))

    async def claim(self, key: str, ttl: float) -> bool:
        return await self._call(lambda: self.inner.claim(key, ttl))

    async def batch(self, ops: Sequence[Op]) -> list[Any]:
        return await self._call(lambda: self.inner.batch(ops))

    async def allow(self, key: str, limit: int, window: float) -> bool:
        return await self._call(lambda: self.inner.allow(key, limit, window))

    async def reserve(self, *paces: Pace) -> Reservation:
        return await self._call(lambda: self.inner.reserve(*paces))

    async def hold(self, key: str, seconds: float) -> None:
        await self._call(lambda: self.inner.hold(key, seconds))

    async def ping(self) -> bool:
        """False while down or when the probe fails; a successful probe ends the outage."""
        try:
            return await self._call(self.inner.ping)
        except StateUnavailable:
            return False

    async def close(self) -> None:
        await self.inner.close()
