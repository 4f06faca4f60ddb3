"""A token bucket per provider: aggregators throttle (or bill) bursts above the contracted rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; `take` waits its turn without busy waiting.

    Waiters are served in arrival order: each reserves the next free slot under a lock, then sleeps
    outside it, so concurrent senders of one dispatcher batch are paced, not bunched."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def take(self) -> float:
        """Wait for one token; the seconds waited."""
        async with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            await asyncio.sleep(wait)
        return wait
