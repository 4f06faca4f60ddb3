"""Claims on provider message ids: one try answers a text, a duplicate is dropped, and a released
id lets exactly one next try run, with what the failed try left for it."""

from __future__ import annotations

import asyncio

from gateway.sms.claims import TextClaims
from gateway.state import MemoryState


async def test_a_text_is_claimed_once_and_its_duplicates_are_dropped() -> None:
    claims = TextClaims(MemoryState(), ttl=60)
    first = await claims.take("kannel", "m1")
    assert first is not None and first.attempt == 0 and not first.left
    assert await claims.take("kannel", "m1") is None
    assert await claims.take("jasmin", "m1") is not None       # ids are per provider


async def test_a_released_id_lets_one_next_try_run_with_what_the_failed_one_left() -> None:
    claims = TextClaims(MemoryState(), ttl=60)
    first = await claims.take("kannel", "m1")
    assert first is not None
    await claims.release(first, {"reply": {"text": "menu", "lang": "fa", "end": False}})
    tries = await asyncio.gather(*(claims.take("kannel", "m1") for _ in range(3)))   # the provider sent it thrice
    [second] = [t for t in tries if t is not None]
    assert second.attempt == 1 and second.left == {"reply": {"text": "menu", "lang": "fa", "end": False}}
    assert await claims.take("kannel", "m1") is None            # answered: duplicates are dropped again
    await claims.release(second)                                # failed again, nothing computed this time
    third = await claims.take("kannel", "m1")
    assert third is not None and third.attempt == 2 and not third.left
