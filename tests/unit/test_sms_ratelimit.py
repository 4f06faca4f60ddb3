"""The per-provider token bucket paces a burst of concurrent sends to the contracted rate."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.sms.ratelimit import TokenBucket


async def test_a_burst_goes_at_once_and_the_rest_at_the_rate() -> None:
    bucket = TokenBucket(rate=50, burst=5)
    start = time.monotonic()
    waits = await asyncio.gather(*(bucket.take() for _ in range(15)))
    elapsed = time.monotonic() - start
    assert sorted(waits)[:5] == [0.0] * 5
    assert elapsed == pytest.approx(10 / 50, abs=0.05)      # 10 beyond the burst at 50/s


async def test_tokens_refill_while_idle() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=2, clock=lambda: now[0])
    assert [await bucket.take(), await bucket.take()] == [0.0, 0.0]
    now[0] = 0.2                                              # two tokens back
    assert [await bucket.take(), await bucket.take()] == [0.0, 0.0]


def test_a_bucket_needs_a_rate() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1)
